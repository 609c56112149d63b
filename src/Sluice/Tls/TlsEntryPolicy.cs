using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sluice.Config.Model;

namespace Sluice.Tls;

/// <summary>
/// What handshakes on a certificate are held to: the bind line's options (versions, ciphers, ALPN) and its
/// client-certificate policy, or a crt-list line's. <see cref="ResumptionScope"/> names the client-certificate
/// policy by value (mode, CA and CRL contents, ignored errors), so that a session established under one policy
/// is never resumed under another (RELIABILITY TLS-06).
/// </summary>
internal sealed class TlsEntryPolicy
{
    /// <summary>
    /// Who may resume sessions on a certificate. On Linux SslStream keeps one OpenSSL context per certificate,
    /// protocol set and ALPN use, process-wide, and the session cache and ticket keys belong to that context: it
    /// does not know the verify policy. Two policies serving the same certificate would so share sessions, and a
    /// session made without a client certificate would resume where one is required (the flaw of nginx
    /// CVE-2025-23419). The first policy to claim a certificate keeps resumption on it; any other policy serving
    /// it gets handshakes without resumption, which run on contexts of their own. A claim lasts for the process,
    /// across reloads, so a reload that changes the CA file or the verify mode cannot resume older sessions either.
    /// </summary>
    private static readonly ConcurrentDictionary<string, string> ResumptionOwners = new(StringComparer.Ordinal);

    private TlsEntryPolicy(SslServerAuthenticationOptions template, SslServerAuthenticationOptions templateWithoutAlpn, ClientCertificateVerifier? verifier, string resumptionScope)
    {
        Template = template;
        TemplateWithoutAlpn = templateWithoutAlpn;
        Verifier = verifier;
        ResumptionScope = resumptionScope;
    }

    /// <summary>The options of the line, without a certificate; copied with each certificate's context.</summary>
    public SslServerAuthenticationOptions Template { get; }

    /// <summary>The same without ALPN, for clients that offer none of the line's protocols.</summary>
    public SslServerAuthenticationOptions TemplateWithoutAlpn { get; }

    /// <summary>Checks client certificates; null with `verify none`.</summary>
    public ClientCertificateVerifier? Verifier { get; }

    /// <summary>The client-certificate policy as a value: "none", or the mode with digests of the CA and CRL files.</summary>
    public string ResumptionScope { get; }

    /// <summary>
    /// Builds the policy of <paramref name="settings"/>: loads its CA and CRL files and makes the options
    /// template. Problems go to <paramref name="lineAlert"/> or <paramref name="proxyAlert"/>; null when any.
    /// </summary>
    public static TlsEntryPolicy? Create(TlsSettings settings, TlsVersions versions, CipherSuitesPolicy? ciphers, Action<string> lineAlert, Action<string> proxyAlert)
    {
        X509Certificate2Collection? authorities = null;
        if (settings.CaFile is { } caFile)
        {
            authorities = PemCertificateFile.LoadAll(caFile);
            if (authorities is null)
            {
                lineAlert($"'ca-file' : unable to load {caFile}");
                return null;
            }
        }

        var verify = settings.Verify == TlsVerify.Default ? TlsVerify.None : settings.Verify;
        if (verify != TlsVerify.None && authorities is null)
        {
            proxyAlert("verify is enabled but no CA file specified");
            return null;
        }

        RevocationList? revoked = null;
        if (settings.CrlFile is { } crlFile)
        {
            revoked = RevocationList.Load(crlFile, authorities ?? [], out var crlError);
            if (revoked is null)
            {
                lineAlert($"'crl-file' : unable to load {crlFile} ({crlError})");
                return null;
            }
        }

        var verifier = verify == TlsVerify.None
            ? null
            : new ClientCertificateVerifier(verify, authorities!, revoked, settings.CaIgnoreErrors, settings.CrtIgnoreErrors);
        List<SslApplicationProtocol>? alpn = null;
        if (settings.Alpn is { } names)
        {
            alpn = new List<SslApplicationProtocol>(names.Count);
            foreach (var name in names)
            {
                alpn.Add(new SslApplicationProtocol(name));
            }
        }

        var template = new SslServerAuthenticationOptions
        {
            ApplicationProtocols = alpn,
            EnabledSslProtocols = TlsVersionRange.ToSslProtocols(versions),
            CipherSuitesPolicy = ciphers,
            ClientCertificateRequired = verifier is not null,
            RemoteCertificateValidationCallback = verifier is null ? null : TlsTerminator.ValidateClient,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            // RFC 9113 §9.2.1 and RELIABILITY TLS-07: client-initiated renegotiation is refused.
            AllowRenegotiation = false,
            AllowTlsResume = !settings.NoTlsTickets,
        };
        var templateWithoutAlpn = alpn is null ? template : CertificateEntry.WithContext(template, null, keepAlpn: false);
        return new TlsEntryPolicy(template, templateWithoutAlpn, verifier, ScopeOf(verify, settings));
    }

    /// <summary>True when sessions on the certificate <paramref name="certificateDer"/> may be resumed under this policy (see <see cref="ResumptionOwners"/>).</summary>
    public bool MayResume(ReadOnlySpan<byte> certificateDer)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(certificateDer, digest);
        var owner = ResumptionOwners.GetOrAdd(Convert.ToHexString(digest), ResumptionScope);
        return string.Equals(owner, ResumptionScope, StringComparison.Ordinal);
    }

    private static string ScopeOf(TlsVerify verify, TlsSettings settings)
    {
        if (verify == TlsVerify.None)
        {
            return "none";
        }

        return string.Join(
            '|',
            verify.ToString(),
            FileDigest(settings.CaFile),
            FileDigest(settings.CrlFile),
            IgnoredText(settings.CaIgnoreErrors),
            IgnoredText(settings.CrtIgnoreErrors));
    }

    private static string FileDigest(string? path) => path is null ? "-" : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static string IgnoredText(TlsIgnoredErrors ignored) => ignored.All ? "all" : string.Join(',', ignored.Ids.Order());
}
