using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sluice.Config.Model;

namespace Sluice.Tls;

/// <summary>
/// The TLS side of one `server ... ssl` line (and of its checks with `check-ssl`): SNI, ALPN, versions, ciphers,
/// the client certificate it presents (`crt`), and the verification of the server's certificate (`verify required`
/// against `ca-file`, the name checked against the SNI when one is sent). Options are built once at load.
/// </summary>
internal sealed class TlsConnector
{
    private readonly SslClientAuthenticationOptions _options;
    private readonly X509Certificate2Collection? _authorities;

    private readonly RevocationList? _revoked;

    /// <summary>The highest version the handshake offers: what HAProxy's `ssl_bc_protocol` reads after a failure.</summary>
    private readonly string _offeredProtocol;

    private TlsConnector(TlsSettings settings, SslClientAuthenticationOptions options, X509Certificate2Collection? authorities, RevocationList? revoked, bool verify, string offeredProtocol)
    {
        Settings = settings;
        _offeredProtocol = offeredProtocol;
        _options = options;
        _authorities = authorities;
        _revoked = revoked;
        Verifies = verify;
        ForChecks = this;
        ForWebSockets = this;
    }

    public TlsSettings Settings { get; }

    /// <summary>`verify required`: the server's certificate must lead to a CA of the `ca-file`.</summary>
    public bool Verifies { get; }

    /// <summary>
    /// The connector of health checks: they send the SNI of `check-sni` (none without it: `sni` applies to traffic
    /// only, as in HAProxy) and offer the ALPN of `check-alpn`, else of `alpn`; this one when neither changes anything.
    /// </summary>
    public TlsConnector ForChecks { get; private set; }

    /// <summary>
    /// The connector of websocket streams: the server line's `alpn` narrowed by `ws` (HAProxy's conn_update_alpn): to
    /// `http/1.1` with `ws h1`, or with `ws auto` when the list offers it; to `h2` with `ws h2`. This one when
    /// nothing changes.
    /// </summary>
    public TlsConnector ForWebSockets { get; private set; }

    /// <summary>Builds <see cref="ForWebSockets"/> once at load, from the line's `ws`.</summary>
    public void PrepareWebSockets(WebSocketProtocol mode)
    {
        if (Settings.Alpn is not { } alpn)
        {
            return;
        }

        string[]? narrowed = mode switch
        {
            WebSocketProtocol.H1 => ["http/1.1"],
            WebSocketProtocol.H2 => ["h2"],
            _ => alpn.Contains("http/1.1") ? ["http/1.1"] : null,
        };
        if (narrowed is not null && !alpn.SequenceEqual(narrowed))
        {
            ForWebSockets = Create(Settings with { Alpn = narrowed, CheckSni = null, CheckAlpn = null }, static _ => { }, static _ => { }) ?? this;
        }
    }

    /// <summary>The highest version the handshake offers, which HAProxy's `ssl_bc_protocol` reads after a failure.</summary>
    public string OfferedProtocol => _offeredProtocol;

    /// <summary>True when the line offers `h2` by ALPN: the server may then answer in HTTP/2.</summary>
    public bool OffersH2 => Settings.Alpn is { } alpn && alpn.Contains("h2");

    /// <summary>
    /// Builds the connector of a server line; problems go to <paramref name="lineAlert"/> (HAProxy's messages of the
    /// line) and make it return null.
    /// </summary>
    public static TlsConnector? Create(TlsSettings settings, Action<string> lineAlert, Action<string> notSupported)
    {
        X509Certificate2Collection? authorities = null;
        if (settings.CaFile is { } caFile)
        {
            authorities = PemCertificateFile.LoadAll(caFile);
            if (authorities is null)
            {
                lineAlert($"Couldn't open the ca-file '{caFile}' ({(File.Exists(caFile) ? "no certificate found" : "No such file or directory")}).");
                return null;
            }
        }

        var verify = settings.Verify != TlsVerify.None;
        if (verify && authorities is null)
        {
            lineAlert("verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.");
            return null;
        }

        RevocationList? revoked = null;
        if (settings.CrlFile is { } crlFile)
        {
            revoked = RevocationList.Load(crlFile, authorities ?? [], out var crlError);
            if (revoked is null)
            {
                lineAlert(File.Exists(crlFile)
                    ? $"'crl-file' : unable to load {crlFile} ({crlError})."
                    : $"Couldn't open the ca-file '{crlFile}' (No such file or directory).");
                return null;
            }
        }

        X509Certificate2Collection? clientCertificates = null;
        if (settings.ClientCertificate is { } crt)
        {
            var loaded = PemCertificateFile.Load(crt, out var error);
            if (loaded is null)
            {
                lineAlert(error!);
                return null;
            }

            try
            {
                clientCertificates = [loaded.WithPrivateKey(), .. loaded.Chain];
            }
            catch (CryptographicException)
            {
                lineAlert($"inconsistencies between private key and certificate loaded '{crt}'.");
                return null;
            }
        }

        var versions = TlsVersionRange.Allowed(settings, server: true);
        if (versions == TlsVersions.None)
        {
            lineAlert("all SSL/TLS versions are disabled");
            return null;
        }

        var ciphers = TlsCipherNames.BuildPolicy(settings.Ciphers, settings.CipherSuites, out var cipherError, out var unsupported);
        if (cipherError is not null)
        {
            if (unsupported)
            {
                notSupported($"cipher list '{cipherError}' : OpenSSL cipher-string keywords");
            }
            else
            {
                lineAlert($"unable to set SSL cipher list to '{cipherError}'");
            }

            return null;
        }

        List<SslApplicationProtocol>? alpn = null;
        if (settings.Alpn is { } names)
        {
            alpn = [.. names.Select(n => new SslApplicationProtocol(n))];
        }

        var options = new SslClientAuthenticationOptions
        {
            // An empty target sends no SNI: HAProxy sends one only with `sni`.
            TargetHost = settings.Sni ?? string.Empty,
            ApplicationProtocols = alpn,
            EnabledSslProtocols = TlsVersionRange.ToSslProtocols(versions),
            CipherSuitesPolicy = ciphers,
            ClientCertificates = clientCertificates,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowRenegotiation = false,
            // Sessions are cached by SslStream per target host: without `sni`, a server's sessions are not resumed.
            AllowTlsResume = !settings.NoTlsTickets && !settings.NoSslReuse,
        };
        var connector = new TlsConnector(settings, options, authorities, revoked, verify, TlsVersionRange.HighestName(versions));
        options.RemoteCertificateValidationCallback = connector.ValidateServer;
        if (settings.Sni is not null || settings.SniExpression is not null || settings.CheckSni is not null || settings.CheckAlpn is not null)
        {
            var checks = Create(settings with { Sni = settings.CheckSni, SniExpression = null, Alpn = settings.CheckAlpn ?? settings.Alpn, CheckSni = null, CheckAlpn = null }, lineAlert, notSupported);
            if (checks is null)
            {
                return null;
            }

            connector.ForChecks = checks;
        }

        return connector;
    }

    /// <summary>
    /// Runs the client handshake on a connected socket; the caller bounds it (`timeout connect`) by closing the socket.
    /// Returns the stream and what was established, or null and why, as HAProxy reports it.
    /// </summary>
    /// <param name="serverName">With `sni EXPR`, the name this connection sends (null or empty: none).</param>
    public async Task<(SslStream? Stream, TlsConnectionInfo? Info, TlsServerFailure? Failure)> AuthenticateAsync(Socket socket, string? serverName = null)
    {
        var options = Settings.SniExpression is null ? _options : WithTargetHost(_options, serverName ?? string.Empty);
        var stream = new TlsClientStream(new NetworkStream(socket, ownsSocket: false), _offeredProtocol)
        {
            // HAProxy checks the name given by `verifyhost`, else the SNI it sent, RFC 6125 rules; `no-verifyhost` checks none.
            ExpectedName = Settings.NoVerifyHost ? null : Settings.VerifyHost ?? (options.TargetHost is { Length: > 0 } sent ? sent : null),
        };
        try
        {
            await stream.AuthenticateAsClientAsync(options, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            return (null, null, stream.Failure ?? TlsServerFailure.FromException(ex, _offeredProtocol));
        }

        var info = new TlsConnectionInfo(options.TargetHost is { Length: > 0 } sni ? sni : null, stream.NegotiatedApplicationProtocol, stream.SslProtocol, stream.NegotiatedCipherSuite, null, 0);
        return (stream, info, null);
    }

    private bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (!Verifies)
        {
            return true;
        }

        var tls = (TlsClientStream)sender;
        if (certificate is null)
        {
            tls.Refuse("certificate verify failed (no certificate)");
            return false;
        }

        var presented = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        using var own = new X509Chain();
        own.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        own.ChainPolicy.CustomTrustStore.AddRange(_authorities!);
        own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        own.ChainPolicy.DisableCertificateDownloads = true;
        if (chain is not null)
        {
            own.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
        }

        if (!own.Build(presented))
        {
            var status = own.ChainStatus.Length > 0 ? own.ChainStatus[0].StatusInformation.Trim() : "untrusted";
            tls.Refuse($"certificate verify failed ({status})");
            return false;
        }

        // `crl-file`: every certificate of the chain but its root is looked up in the lists (OpenSSL's
        // X509_V_FLAG_CRL_CHECK_ALL, which HAProxy sets with a CRL file).
        if (_revoked is not null)
        {
            var elements = own.ChainElements;
            for (var depth = 0; depth < elements.Count - 1; depth++)
            {
                if (_revoked.IsRevoked(elements[depth].Certificate))
                {
                    tls.Refuse("certificate verify failed (certificate revoked)");
                    return false;
                }
            }
        }

        if (tls.ExpectedName is { } name && !presented.MatchesHostname(name))
        {
            // HAProxy tells a name it was given by `verifyhost` from the one it sent by SNI.
            tls.Refuse($"certificate name does not match '{name}' (SSL_MISMATCH)", Settings.VerifyHost is null ? TlsServerFailure.MismatchSni : TlsServerFailure.Mismatch);
            return false;
        }

        return true;
    }

    /// <summary>The client stream with the verification failure its callback found, for the log.</summary>
    private sealed class TlsClientStream : SslStream
    {
        private readonly string _offeredProtocol;

        public TlsClientStream(Stream inner, string offeredProtocol)
            : base(inner, leaveInnerStreamOpen: false)
        {
            _offeredProtocol = offeredProtocol;
        }

        /// <summary>Set when the verification refused the server's certificate.</summary>
        public TlsServerFailure? Failure { get; private set; }

        public void Refuse(string detail, int connectionError = TlsServerFailure.Handshake) =>
            Failure = TlsServerFailure.VerifyFailed(connectionError, detail, _offeredProtocol, TlsCipherNames.OpenSslName(NegotiatedCipherSuite));

        /// <summary>The name the server's certificate must hold; null checks none.</summary>
        public string? ExpectedName { get; init; }
    }

    /// <summary>
    /// The options of a connection whose SNI comes from an expression. Allocates: once per new connection to such a
    /// server, beside the handshake it is made for.
    /// </summary>
    private static SslClientAuthenticationOptions WithTargetHost(SslClientAuthenticationOptions template, string targetHost) => new()
    {
        TargetHost = targetHost,
        ApplicationProtocols = template.ApplicationProtocols,
        EnabledSslProtocols = template.EnabledSslProtocols,
        CipherSuitesPolicy = template.CipherSuitesPolicy,
        ClientCertificates = template.ClientCertificates,
        CertificateRevocationCheckMode = template.CertificateRevocationCheckMode,
        AllowRenegotiation = template.AllowRenegotiation,
        AllowTlsResume = template.AllowTlsResume,
        RemoteCertificateValidationCallback = template.RemoteCertificateValidationCallback,
    };
}
