using System.Globalization;
using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Tls;

namespace Sluice.Config.Sections;

/// <summary>
/// The TLS options of bind and server lines and of the global `ssl-default-*-options`, with HAProxy's messages.
/// Each parser updates a <see cref="TlsSettings"/>; loading the files they name is the Tls folder's business.
/// </summary>
internal static class TlsKeywordParsers
{
    /// <summary>OpenSSL's highest X509_V_ERR number that `ca-ignore-err`/`crt-ignore-err` accept in HAProxy 2.6.</summary>
    private const int MaxVerifyError = 94;

    /// <summary>
    /// Parses the option at argument <paramref name="index"/> when it is a TLS one; <paramref name="index"/> then
    /// points at its last argument. Returns false for other options. <paramref name="error"/> is the message after
    /// the line's prefix.
    /// </summary>
    public static bool TryParse(KeywordContext ctx, ref int index, bool server, ref TlsSettings tls, out string? error)
    {
        var argument = ctx.Argument(index + 1);
        var handled = Parse(ctx.Argument(index)!, argument, server, ref tls, out error, out var usedArgument);
        if (handled && usedArgument && argument is not null)
        {
            index++;
        }

        return handled;
    }

    private static bool Parse(string keyword, string? argument, bool server, ref TlsSettings tls, out string? error, out bool usedArgument)
    {
        error = null;
        usedArgument = false;
        switch (keyword)
        {
            case "ssl":
                tls = tls with { Enabled = true };
                return true;
            case "no-ssl" when server:
                tls = tls with { Enabled = false };
                return true;
            case "check-ssl" when server:
                tls = tls with { CheckSsl = true };
                return true;
            case "no-check-ssl" when server:
                tls = tls with { CheckSsl = false };
                return true;
            case "strict-sni" when !server:
                tls = tls with { StrictSni = true };
                return true;
            case "no-tls-tickets":
                tls = tls with { NoTlsTickets = true };
                return true;
            case "no-ssl-reuse" when server:
                tls = tls with { NoSslReuse = true };
                return true;
            case "ssl-reuse" when server:
                tls = tls with { NoSslReuse = false };
                return true;
            case "no-sslv3":
                // SSLv3 is never offered.
                return true;
            case "no-tlsv10" or "no-tlsv11" or "no-tlsv12" or "no-tlsv13":
                tls = tls with { Disabled = tls.Disabled | VersionOf(keyword) };
                return true;
            case "force-tlsv10" or "force-tlsv11" or "force-tlsv12" or "force-tlsv13":
                tls = tls with { Forced = VersionOf(keyword) };
                return true;
            case "crt":
            {
                var path = Use(argument, out usedArgument);
                if (path is null)
                {
                    error = "'crt' : missing certificate location";
                }
                else
                {
                    tls = server ? tls with { ClientCertificate = tls.UnderCrtBase(path) } : tls with { Certificates = [.. tls.Certificates, new CertificateSource(tls.UnderCrtBase(path), IsList: false)] };
                }

                return true;
            }

            case "crt-list" when !server:
            {
                var path = Use(argument, out usedArgument);
                if (path is null)
                {
                    error = "'crt-list' : missing certificate location";
                }
                else
                {
                    tls = tls with { Certificates = [.. tls.Certificates, new CertificateSource(path, IsList: true)] };
                }

                return true;
            }

            case "alpn":
            case "check-alpn" when server:
            {
                var list = Use(argument, out usedArgument);
                if (list is null || list.Length == 0)
                {
                    error = $"'{keyword}' : missing the comma-delimited ALPN protocol suite";
                    return true;
                }

                var names = list.Split(',');
                foreach (var name in names)
                {
                    if (name.Length is 0 or > 255)
                    {
                        error = $"'{keyword}' : ALPN protocol name too long or empty";
                        return true;
                    }
                }

                tls = keyword == "alpn" ? tls with { Alpn = names } : tls with { CheckAlpn = names };
                return true;
            }

            case "check-sni" when server:
            {
                var name = Use(argument, out usedArgument);
                if (name is null)
                {
                    error = "'check-sni' : missing SNI";
                }
                else
                {
                    tls = tls with { CheckSni = name };
                }

                return true;
            }

            case "ssl-min-ver" or "ssl-max-ver":
            {
                var text = Use(argument, out usedArgument);
                var version = TlsVersionRange.Parse(text);
                if (text is null)
                {
                    error = $"'{keyword}' : missing the ssl/tls version";
                }
                else if (version is null)
                {
                    error = text == "SSLv3" ? $"'{keyword}' : 'SSLv3' is not supported yet." : $"'{text}' : unknown ssl/tls version";
                }
                else
                {
                    tls = keyword == "ssl-min-ver" ? tls with { MinVersion = version } : tls with { MaxVersion = version };
                }

                return true;
            }

            case "ciphers" or "ciphersuites":
            {
                var list = Use(argument, out usedArgument);
                if (list is null)
                {
                    error = $"'{keyword}' : missing cipher suite";
                }
                else
                {
                    tls = keyword == "ciphers" ? tls with { Ciphers = list } : tls with { CipherSuites = list };
                }

                return true;
            }

            case "ca-file":
            {
                var path = Use(argument, out usedArgument);
                if (path is null)
                {
                    error = "'ca-file' : missing CAfile path";
                }
                else
                {
                    tls = tls with { CaFile = tls.UnderCaBase(path) };
                }

                return true;
            }

            case "crl-file":
            {
                var path = Use(argument, out usedArgument);
                if (path is null)
                {
                    error = "'crl-file' : missing CRLfile path";
                }
                else
                {
                    tls = tls with { CrlFile = tls.UnderCaBase(path) };
                }

                return true;
            }

            case "verify":
            {
                var method = Use(argument, out usedArgument);
                TlsVerify? verify = method switch
                {
                    "none" => TlsVerify.None,
                    "required" => TlsVerify.Required,
                    "optional" when !server => TlsVerify.Optional,
                    _ => null,
                };
                if (verify is null)
                {
                    error = method is null
                        ? "'verify' : missing verify method"
                        : server
                            ? $"'verify' : unknown verify method '{method}', only 'none' and 'required' are supported"
                            : $"'verify' : unknown verify method '{method}', only 'none', 'optional', and 'required' are supported";
                }
                else
                {
                    tls = tls with { Verify = verify.Value };
                }

                return true;
            }

            case "ca-ignore-err" or "crt-ignore-err" when !server:
            {
                var list = Use(argument, out usedArgument);
                if (list is null)
                {
                    error = $"'{keyword}' : missing error IDs list";
                    return true;
                }

                var ignored = ParseIgnoredErrors(list, out var badId);
                if (ignored is null)
                {
                    error = $"'{keyword}' : ID '{badId}' out of range (1..{MaxVerifyError}) in error IDs list '{list}'";
                }
                else
                {
                    tls = keyword == "ca-ignore-err" ? tls with { CaIgnoreErrors = ignored } : tls with { CrtIgnoreErrors = ignored };
                }

                return true;
            }

            case "verifyhost" when server:
            {
                var name = Use(argument, out usedArgument);
                if (name is null)
                {
                    error = "'verifyhost' : missing hostname";
                }
                else
                {
                    tls = tls with { VerifyHost = name, NoVerifyHost = false };
                }

                return true;
            }

            case "no-verifyhost" when server:
                tls = tls with { NoVerifyHost = true };
                return true;

            case "sni" when server:
            {
                var expression = Use(argument, out usedArgument);
                if (expression is null)
                {
                    error = "'sni' : missing sni expression";
                }
                else if (expression.StartsWith("str(", StringComparison.Ordinal) && expression.EndsWith(')') && expression.Length > 5)
                {
                    tls = tls with { Sni = expression[4..^1], SniExpression = null };
                }
                else if (Rules.Samples.SampleExpressionParser.Parse(expression, forAcl: false, out var expressionError) is { } compiled)
                {
                    tls = tls with { SniExpression = compiled, Sni = null };
                }
                else
                {
                    error = $"error detected while parsing sni expression : {expressionError}";
                }

                return true;
            }

            default:
                return false;
        }
    }

    private static string? Use(string? argument, out bool used)
    {
        used = true;
        return argument;
    }

    /// <summary>`ssl-default-bind-options` / `ssl-default-server-options`: the version options and `no-tls-tickets`.</summary>
    public static TlsSettings? ParseDefaultOptions(KeywordContext ctx, TlsSettings defaults)
    {
        var tls = defaults;
        for (var i = 0; i < ctx.ArgumentCount; i++)
        {
            var option = ctx.Argument(i)!;
            if (option is "ssl-min-ver" or "ssl-max-ver" or "no-sslv3" or "no-tls-tickets" || option.StartsWith("no-tlsv", StringComparison.Ordinal) || option.StartsWith("force-tlsv", StringComparison.Ordinal))
            {
                if (TryParse(ctx, ref i, server: false, ref tls, out var error) && error is null)
                {
                    continue;
                }

                ctx.Alert($"'{ctx.Keyword}' : {error ?? $"unknown or unsupported option '{option}'."}");
                return null;
            }

            ctx.Alert(option is "prefer-client-ciphers" or "strict-sni" or "no-alpn"
                ? $"'{ctx.Keyword}' : '{option}' is not supported yet."
                : $"'{ctx.Keyword}' : unknown or unsupported option '{option}'.");
            return null;
        }

        return tls;
    }

    private static TlsIgnoredErrors? ParseIgnoredErrors(string list, out string badId)
    {
        badId = string.Empty;
        if (list == "all")
        {
            return new TlsIgnoredErrors(true, new HashSet<int>());
        }

        var ids = new HashSet<int>();
        foreach (var part in list.Split(','))
        {
            // HAProxy reads each ID with atoi(): a word reads as 0, which is out of range.
            var id = int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
            if (id < 1 || id > MaxVerifyError)
            {
                badId = id.ToString(CultureInfo.InvariantCulture);
                return null;
            }

            ids.Add(id);
        }

        return new TlsIgnoredErrors(false, ids);
    }

    private static TlsVersions VersionOf(string keyword) => keyword[^2..] switch
    {
        "10" => TlsVersions.Tls10,
        "11" => TlsVersions.Tls11,
        "12" => TlsVersions.Tls12,
        _ => TlsVersions.Tls13,
    };
}
