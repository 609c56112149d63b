using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>What `openssl s_client` reported about one connection.</summary>
internal sealed record SClientResult(int ExitCode, string Output)
{
    /// <summary>The handshake completed (s_client printed the negotiated cipher).</summary>
    public bool Connected => Output.Contains("Cipher is ", StringComparison.Ordinal) && !Output.Contains("Cipher is (NONE)", StringComparison.Ordinal);

    /// <summary>The server certificate's subject line, e.g. `subject=CN = a.test`.</summary>
    public string? Subject => Line("subject=");

    public string? Alpn => Line("ALPN protocol: ")?["ALPN protocol: ".Length..];

    public string? Protocol => Line("Protocol  : ")?.Split(':')[1].Trim() ?? Line("    Protocol  :")?.Split(':')[1].Trim();

    public int ReusedCount => Output.Split('\n').Count(l => l.StartsWith("Reused,", StringComparison.Ordinal));

    private string? Line(string start) => Output.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(start, StringComparison.Ordinal));
}

internal static class TlsPeers
{
    public static string OpenSsl => CommandRunner.Require("openssl", "openssl");

    /// <summary>Runs `openssl s_client -connect 127.0.0.1:PORT ARGS` with <paramref name="input"/> on stdin.</summary>
    public static async Task<SClientResult> SClientAsync(int port, IEnumerable<string> arguments, string input = "")
    {
        var result = await CommandRunner.RunAsync(
            OpenSsl,
            ["s_client", "-connect", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), .. arguments],
            standardInput: input,
            timeout: TestTimeout.Value);
        return new SClientResult(result.ExitCode, result.StandardOutput + result.StandardError);
    }

    /// <summary>curl over TLS against 127.0.0.1:PORT, with NAME resolved there (SNI and Host are NAME).</summary>
    public static async Task<CommandResult> CurlAsync(string name, int port, string path, params string[] arguments)
    {
        var p = port.ToString(CultureInfo.InvariantCulture);
        return await Sluice.Integration.Scenarios.Http.Http.CurlAsync(["--resolve", $"{name}:{p}:127.0.0.1", .. arguments, $"https://{name}:{p}{path}"]);
    }
}
