using System.Text.RegularExpressions;

namespace Sluice.Tls;

/// <summary>
/// Why a TLS handshake with a server failed, in HAProxy's terms: its connection error (`bc_err`, `bc_err_str`),
/// OpenSSL's error (`ssl_bc_err`, `ssl_bc_err_str`), what `ssl_bc_protocol` and `ssl_bc_cipher` read then (the
/// highest version offered; the suite when the server's hello came, else "(NONE)"), and Sluice's own words for
/// the debug output and check reports. A connection that failed before any handshake has no connection error.
/// </summary>
internal sealed partial record TlsServerFailure(int ConnectionError, long OpenSslError, string? OpenSslText, string Detail, string OfferedProtocol, string Cipher = TlsServerFailure.NoCipher)
{
    /// <summary>What OpenSSL names the cipher of a handshake that did not choose one.</summary>
    public const string NoCipher = "(NONE)";

    /// <summary>No TLS failure: the connection itself failed (refused, timed out) before a handshake.</summary>
    public const int NoHandshake = -1;

    /// <summary>HAProxy's CO_ER_SSL_MISMATCH: the name of `verifyhost` is not the certificate's.</summary>
    public const int Mismatch = 32;

    /// <summary>HAProxy's CO_ER_SSL_MISMATCH_SNI: the name sent by SNI is not the certificate's.</summary>
    public const int MismatchSni = 33;

    /// <summary>HAProxy's CO_ER_SSL_HANDSHAKE.</summary>
    public const int Handshake = 34;

    /// <summary>OpenSSL 3's SSL_R_CERTIFICATE_VERIFY_FAILED in the SSL library, as ERR_get_error gives it.</summary>
    private const long CertificateVerifyFailed = 0x0A000086;

    /// <summary>OpenSSL 3's SSL_R_WRONG_VERSION_NUMBER: the peer's first bytes are not a TLS record.</summary>
    private const long WrongVersionNumber = 0x0A00010B;

    /// <summary>HAProxy's text of a connection error code, `bc_err_str` (0 is "Success").</summary>
    public static string ConnectionErrorText(int code) => code switch
    {
        0 => "Success",
        Mismatch => "Server presented an SSL certificate different from the configured one",
        MismatchSni => "Server presented an SSL certificate different from the expected one",
        _ => "SSL handshake failure",
    };

    /// <summary>The words HAProxy's checks and Sluice's debug output give: "SSL handshake failure: DETAIL".</summary>
    public string Message => "SSL handshake failure: " + Detail;

    /// <summary>The server's certificate was refused by the verification (`verify required`).</summary>
    /// <param name="connectionError"><see cref="Handshake"/>, or one of the mismatches when only the name is wrong.</param>
    /// <param name="cipher">The suite the server chose, known by the time its certificate is checked.</param>
    public static TlsServerFailure VerifyFailed(int connectionError, string detail, string offeredProtocol, string cipher) =>
        new(connectionError, CertificateVerifyFailed, "error:0A000086:SSL routines::certificate verify failed", detail, offeredProtocol, cipher);

    /// <summary>A connection to a TLS server that failed before its handshake (refused, timed out).</summary>
    public static TlsServerFailure BeforeHandshake(string offeredProtocol) =>
        new(NoHandshake, 0, null, "no connection", offeredProtocol);

    /// <summary>
    /// A failure OpenSSL reported: SslStream carries OpenSSL's error string ("error:0A00010B:SSL routines::wrong
    /// version number") in one of its exceptions' messages; without one (the peer closed) there is no OpenSSL code.
    /// </summary>
    public static TlsServerFailure FromException(Exception exception, string offeredProtocol)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var match = OpenSslErrorPattern().Match(e.Message);
            if (match.Success)
            {
                var code = long.Parse(match.Groups[1].Value, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
                var text = match.Value.TrimEnd('.', ' ');
                return new TlsServerFailure(Handshake, code, text, text, offeredProtocol);
            }
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            // SslStream checks the records' framing before OpenSSL sees them: what is not a TLS record (a cleartext
            // server's answer) is refused there, where OpenSSL would say "wrong version number".
            if (e.Message.Contains("corrupted frame", StringComparison.OrdinalIgnoreCase))
            {
                return new TlsServerFailure(Handshake, WrongVersionNumber, "error:0A00010B:SSL routines::wrong version number", e.Message, offeredProtocol);
            }
        }

        var detail = exception is System.Security.Authentication.AuthenticationException
            ? exception.InnerException?.Message ?? exception.Message
            : "connection closed during the handshake";
        return new TlsServerFailure(Handshake, 0, null, detail, offeredProtocol);
    }

    [GeneratedRegex("error:([0-9A-Fa-f]{8}):[^\\r\\n]*")]
    private static partial Regex OpenSslErrorPattern();
}
