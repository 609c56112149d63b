using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;

namespace Sluice.Tests.Config;

/// <summary>`unique-id-format`, `unique-id-header` and `capture cookie`: what they load into, and haproxy 2.6's messages.</summary>
public sealed class LogKeywordsTests : IDisposable
{
    private const string Defaults = "defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-logkw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (SluiceConfig? Config, List<string> Lines) Load(string frontend, string defaults = "")
    {
        var path = Path.Combine(_dir, "t.cfg");
        File.WriteAllText(path, $"{Defaults}{defaults}frontend f\n    bind 127.0.0.1:8080\n    default_backend b\n{frontend}backend b\n    server s 127.0.0.1:80\n");
        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load([path], _ => null, diagnostics);
        return (config, diagnostics.Items.Select(d => AlertFormatter.Format(d).Replace(path, "t.cfg", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public void UniqueId_FormatAndHeader_Loaded()
    {
        var (config, lines) = Load("    unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid\n    unique-id-header X-Unique-ID extra\n");
        Assert.Empty(lines);
        var frontend = config!.Frontends[0];
        Assert.Equal("%{+X}o %ci:%cp_%fi:%fp_%Ts_%rt:%pid", frontend.UniqueIdFormat!.Text);
        Assert.Equal("x-unique-id"u8.ToArray(), frontend.UniqueIdHeader);
    }

    [Fact]
    public void UniqueIdFormat_FromDefaults_Inherited()
    {
        var (config, lines) = Load("", defaults: "    unique-id-format %ci\n");
        Assert.Empty(lines);
        Assert.NotNull(config!.Frontends[0].UniqueIdFormat);
    }

    [Theory]
    [InlineData("    unique-id-format\n", "[ALERT] parsing [t.cfg:9] : unique-id-format expects an argument.")]
    [InlineData("    unique-id-format %ci %cp\n", "[ALERT] parsing [t.cfg:9] : unique-id-format expects only one argument, don't forget to escape spaces!")]
    [InlineData("    unique-id-format %[res.hdr(x)]\n", "[ALERT] parsing [t.cfg:9] : failed to parse unique-id : sample fetch <res.hdr(x)]> may not be reliably used here because it needs 'HTTP response headers' which is not available here.")]
    [InlineData("    unique-id-header\n", "[ALERT] parsing [t.cfg:9] : unique-id-header expects an argument.")]
    [InlineData("    capture cookie\n", "[ALERT] parsing [t.cfg:9] : 'capture' expects 'cookie' <cookie_name> 'len' <len>.")]
    [InlineData("    capture cookie A len\n", "[ALERT] parsing [t.cfg:9] : 'capture' expects 'cookie' <cookie_name> 'len' <len>.")]
    [InlineData("    capture foo\n", "[ALERT] parsing [t.cfg:9] : 'capture' expects 'cookie' or 'request header' or 'response header'.")]
    [InlineData("    capture cookie A len 100\n", "[WARNING] config : truncating capture length to 63 bytes for frontend 'f'.")]
    public void Keyword_Invalid_HAProxyMessage(string frontend, string expected)
    {
        var (_, lines) = Load(frontend);
        Assert.Equal(expected, lines[0]);
    }

    [Theory]
    [InlineData("    capture cookie A len 3\n", "[ALERT] parsing [t.cfg:6] : 'capture cookie' not allowed in 'defaults' section.")]
    [InlineData("    capture request header X len 3\n", "[ALERT] parsing [t.cfg:6] : 'capture request' not allowed in 'defaults' section.")]
    public void Capture_InDefaults_Refused(string defaults, string expected)
    {
        var (_, lines) = Load("", defaults);
        Assert.Equal(expected, lines[0]);
    }

    [Fact]
    public void CaptureCookie_LastLineWins()
    {
        var (config, lines) = Load("    capture cookie A len 10\n    capture cookie B len 5x\n");
        Assert.Empty(lines);
        Assert.Equal(("B", 5), (config!.Frontends[0].CookieCapture!.Name, config.Frontends[0].CookieCapture!.Length));
    }

    [Theory]
    [InlineData("SESS", "a=b; SESS=v; c=d", false, "SESS", "v")]
    [InlineData("SE", "a=b;SESS = v ;c=d", false, "SESS", "v")]
    [InlineData("SESS", "X=1, SESS=z", false, "SESS", "z")]
    [InlineData("SESS=", "SESSION=1; SESS=2", false, "SESS", "2")]
    [InlineData("SESS=x", "SESS=y; SESS=xyz", false, "SESS", "xyz")]
    [InlineData("SESS", "SESS=v; path=/; SESSX=w", true, "SESS", "v")]
    [InlineData("SEX", "SEX=\"a b\"", false, "SEX", "\"a b\"")]
    [InlineData("SESS", "SESS; x=1", false, null, null)]
    [InlineData("SESS", "a=1; path=/SESS=2", true, null, null)]
    public void CookieCapture_FindsThePairAsHAProxy(string name, string field, bool setCookie, string? expectedName, string? expectedValue)
    {
        var found = new CookieCapture(name, 10).TryFind(System.Text.Encoding.Latin1.GetBytes(field), setCookie, out var foundName, out var foundValue);
        Assert.Equal(expectedName is not null, found);
        if (found)
        {
            Assert.Equal(expectedName, System.Text.Encoding.Latin1.GetString(foundName));
            Assert.Equal(expectedValue, System.Text.Encoding.Latin1.GetString(foundValue));
        }
    }
}
