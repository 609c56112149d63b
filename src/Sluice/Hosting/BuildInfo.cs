using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Sluice.Hosting;

/// <summary>
/// What this build is and can do: the version lines of <c>-v</c>/<c>-vv</c>, and the answers to the
/// <c>feature()</c>, <c>version_atleast()</c> and <c>enabled()</c> predicates of conditional blocks.
/// </summary>
internal static class BuildInfo
{
    /// <summary>
    /// The HAProxy version whose configuration language Sluice answers to in <c>version_atleast()</c> and
    /// <c>version_before()</c>. Keywords of later versions are refused one by one, never silently.
    /// </summary>
    public const string HAProxyCompatibleVersion = "3.0";

    public const string ReleaseDate = "2026/11/22";

    /// <summary>TLS is provided by the platform's OpenSSL through SslStream.</summary>
    public const string SslLibraryName = "OpenSSL";

    public static string OpenSslVersion => "3.0";

    public static string Version { get; } =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    /// <summary>Build features in HAProxy's naming, with whether this build has them.</summary>
    private static readonly (string Name, bool Present)[] Features =
    [
        ("ACCEPT4", true),
        ("EPOLL", true),
        ("GETADDRINFO", true),
        ("LINUX_SPLICE", false),
        ("LINUX_TPROXY", false),
        ("LUA", false),
        ("NS", false),
        ("OPENSSL", false),
        ("PCRE2", false),
        ("PROMEX", false),
        ("QUIC", false),
        ("THREAD", true),
        ("TPROXY", false),
        ("ZLIB", false),
    ];

    public static bool HasFeature(string name)
    {
        foreach (var (feature, present) in Features)
        {
            if (string.Equals(feature, name, StringComparison.Ordinal))
            {
                return present;
            }
        }

        return false;
    }

    /// <summary>HAProxy's <c>enabled()</c> knows run-time options such as POLL or SPLICE; none is switchable here yet.</summary>
    public static bool IsEnabled(string option) => option is "EPOLL" or "GETADDRINFO" or "REUSEPORT";

    public static string VersionLine => $"Sluice version {Version} {ReleaseDate} - HAProxy configuration language {HAProxyCompatibleVersion}";

    public static string Verbose()
    {
        var sb = new StringBuilder();
        sb.AppendLine(VersionLine);
        sb.AppendLine(FormattableString.Invariant($"Running on: {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}"));
        sb.AppendLine(FormattableString.Invariant($"Runtime: {RuntimeInformation.FrameworkDescription}"));
        sb.AppendLine("Build options :");
        sb.AppendLine("  TARGET  = linux-dotnet");
        sb.AppendLine(FormattableString.Invariant($"  CPU     = {RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}"));
        sb.AppendLine();
        sb.Append("Feature list :");
        foreach (var (name, present) in Features)
        {
            sb.Append(' ').Append(present ? '+' : '-').Append(name);
        }

        sb.AppendLine();
        sb.AppendLine();
        sb.AppendLine("Default settings :");
        sb.AppendLine("  bufsize = 16384, maxrewrite = 1024");
        sb.AppendLine();
        sb.AppendLine(FormattableString.Invariant($"Built with multi-threading support (MAX_THREADS=64, default={Environment.ProcessorCount})."));
        sb.AppendLine();
        sb.AppendLine("Available multiplexer protocols :");
        sb.AppendLine("(protocols marked as <default> cannot be specified using 'proto' keyword)");
        foreach (var mux in MuxProtocols.All)
        {
            sb.AppendLine(FormattableString.Invariant($"{mux.Token,11} : mode={mux.Mode,-5} side={mux.Sides,-6} mux={mux.Mux,-5} flags={mux.Flags}"));
        }

        sb.AppendLine();
        sb.AppendLine("Available services : none");
        sb.AppendLine("Available filters : none");
        return sb.ToString();
    }
}

/// <summary>One row of the multiplexer table printed by <c>-vv</c> and checked by <c>proto</c> on bind and server lines.</summary>
internal sealed record MuxProtocol(string Token, string Mode, string Sides, string Mux, string Flags, bool Available)
{
    public bool IsDefault => Token == "<default>";
}

/// <summary>
/// The multiplexers, in HAProxy's <c>-vv</c> order. <see cref="MuxProtocol.Available"/> says whether Sluice
/// implements it yet; a <c>proto</c> naming one that is not is refused as not supported yet.
/// </summary>
internal static class MuxProtocols
{
    public static readonly MuxProtocol[] All =
    [
        new("h2", "HTTP", "FE|BE", "H2", "HTX|HOL_RISK|NO_UPG", Available: true),
        new("<default>", "HTTP", "FE|BE", "H1", "HTX", Available: true),
        new("h1", "HTTP", "FE|BE", "H1", "HTX|NO_UPG", Available: true),
        new("<default>", "TCP", "FE|BE", "PASS", string.Empty, Available: true),
        new("none", "TCP", "FE|BE", "PASS", "NO_UPG", Available: true),
    ];

    public static MuxProtocol? Find(string token)
    {
        foreach (var mux in All)
        {
            if (!mux.IsDefault && string.Equals(mux.Token, token, StringComparison.Ordinal))
            {
                return mux;
            }
        }

        return null;
    }
}
