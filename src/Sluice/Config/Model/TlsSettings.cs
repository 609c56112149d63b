namespace Sluice.Config.Model;

/// <summary>TLS protocol versions, as `ssl-min-ver`, `no-tlsv12` and `force-tlsv13` name them.</summary>
[Flags]
internal enum TlsVersions
{
    None = 0x0,
    /// <summary>TLSv1.0.</summary>
    Tls10 = 0x1,
    /// <summary>TLSv1.1.</summary>
    Tls11 = 0x2,
    /// <summary>TLSv1.2.</summary>
    Tls12 = 0x4,
    /// <summary>TLSv1.3.</summary>
    Tls13 = 0x8,
    All = Tls10 | Tls11 | Tls12 | Tls13,
}

/// <summary>`verify` on a bind or server line.</summary>
internal enum TlsVerify
{
    /// <summary>Not written: `none` on a bind line, `required` on a server line unless `ssl-server-verify none`.</summary>
    Default = 0,
    None = 1,
    Optional = 2,
    Required = 3,
}

/// <summary>A `crt FILE|DIR` or `crt-list FILE` of a bind line, in the order written.</summary>
internal sealed record CertificateSource(string Path, bool IsList);

/// <summary>
/// `ca-ignore-err` / `crt-ignore-err`: verification errors (OpenSSL's X509_V_ERR numbers) that do not fail a
/// handshake; <see cref="All"/> for `all`.
/// </summary>
internal sealed record TlsIgnoredErrors(bool All, IReadOnlySet<int> Ids)
{
    public static readonly TlsIgnoredErrors Nothing = new(false, new HashSet<int>());

    public bool Ignores(int error) => All || Ids.Contains(error);
}

/// <summary>
/// The TLS settings of one bind or server line as written (parse-time), after the global
/// `ssl-default-bind-*` / `ssl-default-server-*` values were applied. The Tls folder turns them into
/// SslStream options once, at load.
/// </summary>
internal sealed record TlsSettings
{
    public static readonly TlsSettings Empty = new();

    /// <summary>`ssl`: the line speaks TLS.</summary>
    public bool Enabled { get; init; }
    /// <summary>Bind lines: `crt` and `crt-list`, in order; the first certificate is the default one.</summary>
    public IReadOnlyList<CertificateSource> Certificates { get; init; } = [];
    /// <summary>`crt FILE` on a server line: the client certificate it presents.</summary>
    public string? ClientCertificate { get; init; }
    /// <summary>`alpn LIST`, in order of preference; null when not written.</summary>
    public IReadOnlyList<string>? Alpn { get; init; }
    public TlsVersions? MinVersion { get; init; }
    public TlsVersions? MaxVersion { get; init; }
    /// <summary>`no-tlsv10` and the like.</summary>
    public TlsVersions Disabled { get; init; }
    /// <summary>`force-tlsv1x`: that version only.</summary>
    public TlsVersions? Forced { get; init; }
    /// <summary>`ciphers`: the TLS 1.2 and older suites, OpenSSL's names separated by colons.</summary>
    public string? Ciphers { get; init; }
    /// <summary>`ciphersuites`: the TLS 1.3 suites.</summary>
    public string? CipherSuites { get; init; }
    public string? CaFile { get; init; }
    public string? CrlFile { get; init; }
    public TlsVerify Verify { get; init; }
    public TlsIgnoredErrors CaIgnoreErrors { get; init; } = TlsIgnoredErrors.Nothing;
    public TlsIgnoredErrors CrtIgnoreErrors { get; init; } = TlsIgnoredErrors.Nothing;
    public bool StrictSni { get; init; }
    public bool NoTlsTickets { get; init; }
    /// <summary>`no-ssl-reuse` on a server line: every connection to the server makes a full handshake.</summary>
    public bool NoSslReuse { get; init; }
    /// <summary>`sni str(NAME)` on a server line: the constant name sent; null sends none.</summary>
    public string? Sni { get; init; }
    /// <summary>
    /// `sni EXPR` on a server line with any other sample expression (`req.hdr(host)`, `ssl_fc_sni`): evaluated for
    /// each new connection; an idle connection is reused only for a request whose name is the one it was made with.
    /// </summary>
    public Rules.Samples.SampleExpression? SniExpression { get; init; }
    /// <summary>`verifyhost NAME` on a server line: the name the certificate must hold; null checks the `sni` name.</summary>
    public string? VerifyHost { get; init; }
    /// <summary>`no-verifyhost`: the certificate's names are not checked.</summary>
    public bool NoVerifyHost { get; init; }
    /// <summary>`check-sni NAME`: the SNI of health checks, which send none without it (`sni` is for traffic only).</summary>
    public string? CheckSni { get; init; }
    /// <summary>`check-alpn LIST`: the ALPN offer of health checks; null offers the line's `alpn`.</summary>
    public IReadOnlyList<string>? CheckAlpn { get; init; }
    /// <summary>
    /// `check-ssl` (true): health checks speak TLS even without `ssl`; `no-check-ssl` (false): they do not, even on an
    /// `ssl` server; null (neither): they follow the server's `ssl` unless `port` or `addr` sends them elsewhere.
    /// </summary>
    public bool? CheckSsl { get; init; }
    /// <summary>Global `crt-base`: the directory of relative `crt` paths, on lines and in crt-lists.</summary>
    public string? CrtBase { get; init; }
    /// <summary>Global `ca-base`: the directory of relative `ca-file` and `crl-file` paths.</summary>
    public string? CaBase { get; init; }

    /// <summary>A `crt` path with `crt-base` applied (HAProxy: a path not starting with '/').</summary>
    public string UnderCrtBase(string path) => Under(CrtBase, path);

    /// <summary>A `ca-file` or `crl-file` path with `ca-base` applied.</summary>
    public string UnderCaBase(string path) => Under(CaBase, path);

    private static string Under(string? directory, string path) =>
        directory is null || path.StartsWith('/') ? path : directory.TrimEnd('/') + "/" + path;
}
