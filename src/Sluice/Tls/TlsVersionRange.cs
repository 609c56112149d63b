using System.Security.Authentication;
using Sluice.Config.Model;

namespace Sluice.Tls;

/// <summary>
/// The protocol versions a line allows: `ssl-min-ver` (HAProxy's default TLSv1.2) to `ssl-max-ver`, less the
/// `no-tlsv1x` ones, or the single `force-tlsv1x` one.
/// </summary>
internal static class TlsVersionRange
{
    private static readonly (TlsVersions Version, string Name)[] Names =
    [
        (TlsVersions.Tls10, "TLSv1.0"), (TlsVersions.Tls11, "TLSv1.1"), (TlsVersions.Tls12, "TLSv1.2"), (TlsVersions.Tls13, "TLSv1.3"),
    ];

    /// <summary>`SSLv3`, `TLSv1.0` ... `TLSv1.3`; null for anything else (SSLv3 is not available at all).</summary>
    public static TlsVersions? Parse(string? text)
    {
        foreach (var (version, name) in Names)
        {
            if (string.Equals(name, text, StringComparison.Ordinal))
            {
                return version;
            }
        }

        return null;
    }

    /// <summary>The name of the highest version of <paramref name="versions"/> ("TLSv1.3"); "" when there is none.</summary>
    public static string HighestName(TlsVersions versions)
    {
        for (var i = Names.Length - 1; i >= 0; i--)
        {
            if ((versions & Names[i].Version) != 0)
            {
                return Names[i].Name;
            }
        }

        return string.Empty;
    }

    /// <summary>
    /// A bind line with `ssl-max-ver` below TLSv1.2 and no `ssl-min-ver`: HAProxy lowers the minimum to the maximum,
    /// with a warning, instead of disabling every version.
    /// </summary>
    public static bool LowersBindMinimum(TlsSettings settings) =>
        settings.Forced is null && settings.MinVersion is null && settings.MaxVersion is { } max && max < TlsVersions.Tls12;

    /// <param name="server">A server line: HAProxy sets no minimum there, the library's lowest applies.</param>
    public static TlsVersions Allowed(TlsSettings settings, bool server)
    {
        if (settings.Forced is { } forced)
        {
            return forced;
        }

        var max = settings.MaxVersion ?? TlsVersions.Tls13;
        var min = settings.MinVersion ?? (server ? TlsVersions.Tls10 : LowersBindMinimum(settings) ? max : TlsVersions.Tls12);
        var allowed = TlsVersions.None;
        for (var v = min; v <= max && v <= TlsVersions.Tls13; v = (TlsVersions)((int)v << 1))
        {
            allowed |= v;
        }

        return allowed & ~settings.Disabled;
    }

    public static SslProtocols ToSslProtocols(TlsVersions versions)
    {
        // TLS 1.0 and 1.1 are obsolete in .NET (SYSLIB0039); written as numbers because a configuration that asks
        // for them explicitly gets them, as in HAProxy (OpenSSL's security level may still refuse them).
#pragma warning disable CA5397
        var protocols = SslProtocols.None;
        if ((versions & TlsVersions.Tls10) != 0)
        {
            protocols |= (SslProtocols)0xC0;
        }

        if ((versions & TlsVersions.Tls11) != 0)
        {
            protocols |= (SslProtocols)0x300;
        }

#pragma warning restore CA5397
        if ((versions & TlsVersions.Tls12) != 0)
        {
            protocols |= SslProtocols.Tls12;
        }

        if ((versions & TlsVersions.Tls13) != 0)
        {
            protocols |= SslProtocols.Tls13;
        }

        return protocols;
    }
}
