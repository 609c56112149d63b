using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Checks;
using Sluice.Config.Keywords;
using Sluice.Config.Model;

namespace Sluice.Config.Sections;

/// <summary>
/// <c>tcp-check connect|send|send-binary|send-lf|expect|comment</c> rules, the steps shared with <c>http-check</c>
/// (connect, expect options), and the protocol checks HAProxy builds from tcp-check rules: <c>option redis-check</c>,
/// <c>ssl-hello-chk</c>, <c>smtpchk</c>, <c>pgsql-check</c>, <c>mysql-check</c>, <c>ldap-check</c>. Log-format
/// arguments (<c>%[...]</c>), <c>status-code</c>, variables and SOCKS4 are refused as not supported yet.
/// </summary>
internal static class TcpCheckKeywordParsers
{
    /// <summary><c>tcp-check ACTION ...</c>: appended to the section's tcp-check rules (a section's first rule replaces inherited ones).</summary>
    public static void ParseTcpCheck(KeywordContext ctx, ProxySection section)
    {
        var action = ctx.Argument(0);
        CheckRule? rule;
        switch (action)
        {
            case "connect":
                if (!FirstConnectAllowed(section.TcpCheckRulesHere ? section.TcpCheckRules : [], out var error))
                {
                    ctx.Alert($"'tcp-check {action}' : {error}.");
                    return;
                }

                rule = ParseConnect(ctx, "tcp-check");
                break;
            case "send" or "send-binary" or "send-lf" or "send-binary-lf":
                rule = ParseSend(ctx, action);
                break;
            case "expect":
                rule = ParseExpect(ctx, "tcp-check", http: false);
                break;
            case "comment":
                if (ctx.Argument(1) is not { } text)
                {
                    ctx.Alert("'tcp-check comment' : expects a string as argument.");
                    return;
                }

                rule = new CheckCommentRule { Comment = text };
                break;
            case "set-var" or "set-var-fmt" or "unset-var":
                ctx.Alert($"'tcp-check {action}' is not supported yet.");
                return;
            default:
                ctx.Alert($"'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var' and 'unset-var' (got '{action}').");
                return;
        }

        if (rule is null)
        {
            return;
        }

        if (!section.TcpCheckRulesHere)
        {
            section.TcpCheckRules = [];
            section.TcpCheckRulesHere = true;
        }

        section.TcpCheckRules.Add(rule with { Step = section.TcpCheckRules.Count + 1 });
    }

    /// <summary>HAProxy: a connect must come first when a ruleset has one (comments may come before it).</summary>
    internal static bool FirstConnectAllowed(IReadOnlyList<CheckRule> rules, out string? error)
    {
        error = null;
        foreach (var rule in rules)
        {
            if (rule is CheckConnectRule)
            {
                return true;
            }

            if (rule is CheckCommentRule or PendingHttpSendRule { FromOption: true })
            {
                continue;
            }

            error = "first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset";
            return false;
        }

        return true;
    }

    /// <summary><c>connect [default] [port P] [addr A] [send-proxy] [ssl] [linger] [comment C]</c> (the words after ACTION).</summary>
    internal static CheckConnectRule? ParseConnect(KeywordContext ctx, string keyword)
    {
        var rule = new CheckConnectRule();
        for (var i = 1; i < ctx.ArgumentCount; i++)
        {
            var word = ctx.Argument(i)!;
            var value = ctx.Argument(i + 1);
            string? error = null;
            switch (word)
            {
                case "default":
                    rule = rule with { Default = true };
                    continue;
                case "send-proxy":
                    rule = rule with { SendProxy = true };
                    continue;
                case "ssl":
                    rule = rule with { Ssl = true };
                    continue;
                case "linger":
                    // Sluice closes check connections with a reset-free close either way.
                    continue;
                case "port":
                    if (value is null)
                    {
                        error = "'port' expects a port number or a sample expression as argument.";
                    }
                    else if (!ValueParsers.TryParseInt(value, out var port))
                    {
                        error = $"'port' : sample expressions are not supported yet (got '{value}')";
                    }
                    else if (port is < 1 or > 65535)
                    {
                        error = $"expects a valid TCP port (from range 1 to 65535) or a sample expression, got {value}.";
                    }
                    else
                    {
                        rule = rule with { Port = port };
                    }

                    break;
                case "addr":
                    if (value is null)
                    {
                        error = "'addr' expects <ipv4|ipv6> as argument.";
                    }
                    else if (!IPAddress.TryParse(value, out var address))
                    {
                        error = $"'addr' : invalid address '{value}'";
                    }
                    else
                    {
                        rule = rule with { Address = address };
                    }

                    break;
                case "comment":
                    if (value is null)
                    {
                        error = "'comment' expects a string as argument";
                    }
                    else
                    {
                        rule = rule with { Comment = value };
                    }

                    break;
                case "sni" or "alpn" or "proto" or "via-socks4":
                    error = $"'{word}' is not supported yet";
                    break;
                default:
                    error = $"expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got '{word}' as argument.";
                    break;
            }

            if (error is not null)
            {
                ctx.Alert($"'{keyword} connect' : {error}.");
                return null;
            }

            i++;
        }

        return rule;
    }

    private static CheckSendRule? ParseSend(KeywordContext ctx, string action)
    {
        var data = ctx.Argument(1);
        if (data is null)
        {
            ctx.Alert($"'tcp-check {action}' : '{action}' expects a {(action == "send-binary" ? "binary string" : "string")} as argument.");
            return null;
        }

        string? comment = null;
        for (var i = 2; i < ctx.ArgumentCount; i++)
        {
            if (ctx.Argument(i) != "comment")
            {
                ctx.Alert($"'tcp-check {action}' : expects 'comment' but got '{ctx.Argument(i)}' as argument.");
                return null;
            }

            comment = ctx.Argument(++i);
            if (comment is null)
            {
                ctx.Alert($"'tcp-check {action}' : 'comment' expects a string as argument.");
                return null;
            }
        }

        var binary = action is "send-binary" or "send-binary-lf";
        if (action.EndsWith("-lf", StringComparison.Ordinal) && data.Contains('%', StringComparison.Ordinal))
        {
            ctx.Alert($"'tcp-check {action}' : log-format arguments are not supported yet.");
            return null;
        }

        byte[] bytes;
        if (binary)
        {
            if (ParseHex(data) is not { } decoded)
            {
                ctx.Alert($"'tcp-check {action}' : '{data}' invalid binary string (must contain an even number of hexadecimal digits).");
                return null;
            }

            bytes = decoded;
        }
        else
        {
            bytes = Encoding.Latin1.GetBytes(data);
        }

        return new CheckSendRule(bytes) { Comment = comment };
    }

    /// <summary>
    /// <c>expect [min-recv N] [comment C] [ok-status S] [error-status S] [tout-status S] [on-success T] [on-error T]
    /// [!] KIND PATTERN</c>; for <c>http-check</c> the kinds are HTTP ones and the result an <see cref="CheckHttpExpectRule"/>.
    /// </summary>
    internal static CheckRule? ParseExpect(KeywordContext ctx, string keyword, bool http)
    {
        string? kind = null, pattern = null, comment = null, onSuccess = null, onError = null;
        var negated = false;
        var minRecv = -1;
        CheckStatus? ok = null, err = null, tout = null;
        var prefix = $"'{keyword} expect' :";
        for (var i = 1; i < ctx.ArgumentCount; i++)
        {
            var word = ctx.Argument(i)!;
            var value = ctx.Argument(i + 1);
            switch (word)
            {
                case "!":
                    negated = true;
                    continue;
                case "min-recv":
                    if (value is null || !ValueParsers.TryParseSignedInt(value, out minRecv))
                    {
                        ctx.Alert($"{prefix} '{word}' expects a integer as argument..");
                        return null;
                    }

                    i++;
                    continue;
                case "comment" or "on-success" or "on-error" or "ok-status" or "error-status" or "tout-status" or "status-code":
                    if (value is null)
                    {
                        ctx.Alert($"{prefix} '{word}' expects {(word == "status-code" ? "an expression" : "a string")} as argument.");
                        return null;
                    }

                    i++;
                    switch (word)
                    {
                        case "comment":
                            comment = value;
                            break;
                        case "on-success" or "on-error":
                            if (value.Contains('%', StringComparison.Ordinal))
                            {
                                ctx.Alert($"{prefix} '{word}' : log-format arguments are not supported yet.");
                                return null;
                            }

                            (onSuccess, onError) = word == "on-success" ? (value, onError) : (onSuccess, value);
                            break;
                        case "ok-status":
                            ok = value.ToUpperInvariant() switch
                            {
                                "L7OK" => CheckStatus.L7Ok,
                                "L6OK" => CheckStatus.L6Ok,
                                "L4OK" => CheckStatus.L4Ok,
                                _ => null,
                            };
                            if (ok is null)
                            {
                                ctx.Alert($"{prefix} '{word}' only supports 'L4OK', 'L6OK', 'L7OK' or 'L7OKC' status (got '{value}')..");
                                return null;
                            }

                            break;
                        case "error-status":
                            err = value.ToUpperInvariant() switch
                            {
                                "L7RSP" => CheckStatus.L7Response,
                                "L7STS" => CheckStatus.L7Status,
                                "L6RSP" => CheckStatus.L6Response,
                                "L4CON" => CheckStatus.L4Connection,
                                _ => null,
                            };
                            if (err is null)
                            {
                                ctx.Alert($"{prefix} '{word}' only supports 'L4CON', 'L6RSP', 'L7RSP' or 'L7STS' status (got '{value}')..");
                                return null;
                            }

                            break;
                        case "tout-status":
                            tout = value.ToUpperInvariant() switch
                            {
                                "L7TOUT" => CheckStatus.L7Timeout,
                                "L6TOUT" => CheckStatus.L6Timeout,
                                "L4TOUT" => CheckStatus.L4Timeout,
                                _ => null,
                            };
                            if (tout is null)
                            {
                                ctx.Alert($"{prefix} '{word}' only supports 'L4TOUT', 'L6TOUT' or 'L7TOUT' status (got '{value}')..");
                                return null;
                            }

                            break;
                        default:
                            ctx.Alert($"{prefix} 'status-code' is not supported yet.");
                            return null;
                    }

                    continue;
            }

            var known = http
                ? word is "status" or "rstatus" or "string" or "rstring" or "hdr" or "fhdr" or "string-lf" or "custom"
                : word is "string" or "rstring" or "binary" or "rbinary" or "string-lf" or "binary-lf" or "custom";
            if (word.StartsWith('!') && word.Length > 1)
            {
                negated = true;
                word = word[1..];
                known = http ? word is "status" or "rstatus" or "string" or "rstring" or "hdr" or "fhdr" or "string-lf"
                    : word is "string" or "rstring" or "binary" or "rbinary" or "string-lf" or "binary-lf";
            }

            if (!known || kind is not null)
            {
                ctx.Alert(http
                    ? $"{prefix} 'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got '{word}' as argument.."
                    : $"{prefix} 'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got '{word}' as argument..");
                return null;
            }

            if (word is "hdr" or "fhdr" or "string-lf" or "binary-lf" or "custom")
            {
                ctx.Alert($"{prefix} '{word}' is not supported yet.");
                return null;
            }

            kind = word;
            pattern = value;
            if (pattern is null)
            {
                ctx.Alert($"{prefix} '{word}' expects <pattern> as an argument.");
                return null;
            }

            i++;
        }

        if (kind is null)
        {
            ctx.Alert(http
                ? $"{prefix} expects a matching pattern ('status', 'rstatus', 'hdr', 'fhdr', 'string', 'rstring' or 'custom')."
                : $"{prefix} expects a pattern ('string', 'rstring', 'binary', 'rbinary', 'string-lf' or 'binary-lf').");
            return null;
        }

        if (kind is "rstring" or "rbinary" or "rstatus")
        {
            try
            {
                _ = new Regex(pattern!, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException ex)
            {
                ctx.Alert($"{prefix} failed to compile regex '{pattern}': {ex.Message}");
                return null;
            }
        }

        if (http)
        {
            if ((ok, err, tout, onSuccess, onError) != (null, null, null, null, null) || minRecv != -1)
            {
                ctx.Alert($"{prefix} 'min-recv', '*-status' and 'on-*' are not supported yet with http-check.");
                return null;
            }

            var expect = new HttpCheckExpect(kind switch
            {
                "status" => HttpCheckExpectKind.Status,
                "rstatus" => HttpCheckExpectKind.RStatus,
                "string" => HttpCheckExpectKind.String,
                _ => HttpCheckExpectKind.RString,
            }, pattern!, negated);
            if (kind == "status")
            {
                if (CheckKeywordParsers.ParseStatusCodes(pattern!) is not { } codes)
                {
                    ctx.Alert($"{prefix} invalid status codes '{pattern}'.");
                    return null;
                }

                expect = expect with { Codes = codes };
            }

            return new CheckHttpExpectRule(expect) { Comment = comment };
        }

        var data = Array.Empty<byte>();
        if (kind == "binary")
        {
            if (ParseHex(pattern!) is not { } decoded)
            {
                ctx.Alert($"{prefix} invalid binary string (must contain an even number of hexadecimal digits).");
                return null;
            }

            data = decoded;
        }
        else if (kind == "string")
        {
            data = Encoding.Latin1.GetBytes(pattern!);
        }

        return new CheckExpectRule(kind switch
        {
            "string" => CheckExpectKind.String,
            "rstring" => CheckExpectKind.RString,
            "binary" => CheckExpectKind.Binary,
            _ => CheckExpectKind.RBinary,
        }, pattern!, negated)
        {
            Data = data,
            MinRecv = minRecv,
            OkStatus = ok,
            ErrorStatus = err,
            TimeoutStatus = tout,
            OnSuccess = onSuccess,
            OnError = onError,
            Comment = comment,
        };
    }

    /// <summary>Hex digits in pairs (HAProxy's <c>parse_binary</c>); null when odd or not hex.</summary>
    internal static byte[]? ParseHex(string text)
    {
        if (text.Length % 2 != 0)
        {
            return null;
        }

        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Sets a protocol check and its rules, as the option does in HAProxy (previous check settings are replaced).</summary>
    private static void SetProtocol(ProxySection section, CheckProtocol protocol, IReadOnlyList<CheckRule> rules)
    {
        section.CheckProtocol = protocol;
        section.ProtocolCheckRules = rules;
    }

    private static bool NoArgument(KeywordContext ctx)
    {
        if (ctx.ArgumentCount > 0)
        {
            ctx.Alert($"'{ctx.Keyword}' cannot handle unexpected argument '{ctx.Argument(0)}'.");
            return false;
        }

        return true;
    }

    /// <summary><c>option redis-check</c>: PING, then +PONG (else L7STS with the answer's first line).</summary>
    public static void ParseRedisCheck(KeywordContext ctx, ProxySection section)
    {
        if (NoArgument(ctx))
        {
            SetProtocol(section, CheckProtocol.Redis,
            [
                new CheckSendRule("*1\r\n$4\r\nPING\r\n"u8.ToArray()) { Step = 1 },
                new CheckExpectRule(CheckExpectKind.String, "+PONG\r\n", false)
                {
                    Step = 2,
                    Data = "+PONG\r\n"u8.ToArray(),
                    ErrorStatus = CheckStatus.L7Status,
                    OnErrorSource = CheckInfoSource.FirstLine,
                    OnSuccess = "Redis server is ok",
                },
            ]);
        }
    }

    /// <summary>
    /// <c>option ssl-hello-chk</c>: an SSLv3 client hello (RFC 6101 §5.6.1.2, 39 common suites) with the current
    /// time in its random; any handshake or alert record back (0x16, 0x15) passes as L6OK.
    /// </summary>
    public static void ParseSslHelloCheck(KeywordContext ctx, ProxySection section)
    {
        if (!NoArgument(ctx))
        {
            return;
        }

        var hello = new List<byte>
        {
            0x16, 0x03, 0x00, 0x00, 0x79, // record: handshake, SSLv3, 121 bytes
            0x01, 0x00, 0x00, 0x75,       // client hello, 117 bytes
            0x03, 0x00,                   // version SSLv3
            0, 0, 0, 0,                   // gmt_unix_time, filled in when sent
        };
        hello.AddRange("HAPROXYSSLCHK\nHAPROXYSSLCHK\n"u8.ToArray()); // the 28 random bytes, as HAProxy sends them
        hello.Add(0x00);                  // no session id
        hello.AddRange([0x00, 0x4E]);     // 39 cipher suites
        for (var suite = 0x01; suite <= 0x3A; suite = suite == 0x1B ? 0x2F : suite + 1)
        {
            hello.AddRange([0x00, (byte)suite]);
        }

        hello.AddRange([0x01, 0x00]);     // one compression method: null
        SetProtocol(section, CheckProtocol.SslHello,
        [
            new CheckSendRule([.. hello]) { Step = 1, UnixTimeAt = 11 },
            new CheckExpectRule(CheckExpectKind.RBinary, "^1[56]", false)
            {
                Step = 2,
                MinRecv = 5,
                OkStatus = CheckStatus.L6Ok,
                ErrorStatus = CheckStatus.L6Response,
                TimeoutStatus = CheckStatus.L6Timeout,
            },
        ]);
    }

    /// <summary><c>option smtpchk [EHLO|HELO domain]</c>: the greeting, the command and QUIT, each answered 2xx (HAProxy 2.6's steps).</summary>
    public static void ParseSmtpCheck(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ArgumentCount > 2)
        {
            ctx.Alert($"'{ctx.Keyword}' cannot handle unexpected argument '{ctx.Argument(2)}'.");
            return;
        }

        var command = ctx.Argument(0) is "EHLO" or "HELO" && ctx.Argument(1) is { } domain ? $"{ctx.Argument(0)} {domain}" : "HELO localhost";
        SetProtocol(section, CheckProtocol.Smtp,
        [
            new CheckConnectRule { Step = 1, Default = true },
            new CheckExpectRule(CheckExpectKind.RString, "^[0-9]{3}[ \r]", false)
            {
                Step = 2,
                MinRecv = 4,
                ErrorStatus = CheckStatus.L7Response,
                OnErrorSource = CheckInfoSource.FirstLine,
            },
            new CheckExpectRule(CheckExpectKind.RString, "^2[0-9]{2}[ \r]", false)
            {
                Step = 3,
                MinRecv = 4,
                ErrorStatus = CheckStatus.L7Status,
                OnErrorSource = CheckInfoSource.FirstLineAfterCode,
                CodeFromFirstDigits = true,
            },
            new CheckSendRule(Encoding.Latin1.GetBytes(command + "\r\n")) { Step = 4 },
            new CheckExpectRule(CheckExpectKind.RString, "^2[0-9]{2}[- \r]", false)
            {
                Step = 5,
                MinRecv = 4,
                ErrorStatus = CheckStatus.L7Status,
                OnErrorSource = CheckInfoSource.FirstLineAfterCode,
                CodeFromFirstDigits = true,
            },
            new CheckSendRule("QUIT\r\n"u8.ToArray()) { Step = 6 },
            new CheckExpectRule(CheckExpectKind.RString, "^2[0-9]{2}[- \r]", false)
            {
                Step = 7,
                MinRecv = 4,
                ErrorStatus = CheckStatus.L7Status,
                OnErrorSource = CheckInfoSource.FirstLineAfterCode,
                OnSuccessSource = CheckInfoSource.FirstLineAfterCode,
                CodeFromFirstDigits = true,
            },
        ]);
    }

    /// <summary>
    /// <c>option pgsql-check user NAME</c>: a protocol 3.0 startup message; an error ('E') fails with its text, an
    /// authentication request ('R': ok, cleartext, md5, ...) passes.
    /// </summary>
    public static void ParsePgsqlCheck(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ArgumentCount > 2)
        {
            ctx.Alert($"'{ctx.Keyword}' cannot handle unexpected argument '{ctx.Argument(2)}'.");
            return;
        }

        if (ctx.Argument(0) is null || ctx.Argument(1) is null)
        {
            ctx.Alert($"'{ctx.Keyword}' expects 'user <username>' as argument.");
            return;
        }

        if (ctx.Argument(0) != "user")
        {
            ctx.Alert($"'{ctx.Keyword}' only supports optional values: 'user'.");
            return;
        }

        var user = Encoding.Latin1.GetBytes(ctx.Argument(1)!);
        var startup = new List<byte>();
        var length = 15 + user.Length;
        startup.AddRange([(byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length]);
        startup.AddRange([0x00, 0x03, 0x00, 0x00]); // protocol 3.0
        startup.AddRange("user\0"u8.ToArray());
        startup.AddRange(user);
        startup.AddRange([0x00, 0x00]);
        SetProtocol(section, CheckProtocol.Pgsql,
        [
            new CheckConnectRule { Step = 1, Default = true },
            new CheckSendRule([.. startup]) { Step = 2 },
            new CheckExpectRule(CheckExpectKind.RString, "^E", true)
            {
                Step = 3,
                MinRecv = 5,
                ErrorStatus = CheckStatus.L7Response,
                OnErrorSource = CheckInfoSource.FromSeventhByte,
            },
            new CheckExpectRule(CheckExpectKind.RBinary, "^52000000(08|0A|0C)000000(00|02|03|04|05|06)", false)
            {
                Step = 4,
                MinRecv = 9,
                ErrorStatus = CheckStatus.L7Status,
                OnSuccess = "PostgreSQL server is ok",
                OnError = "PostgreSQL unknown error",
            },
        ]);
    }

    /// <summary>
    /// <c>option mysql-check [user NAME [post-41|pre-41]]</c>: without a user the server's handshake packet is
    /// checked; with one an authentication packet and COM_QUIT are sent and the next packet must not be an error.
    /// </summary>
    public static void ParseMysqlCheck(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ArgumentCount > 3)
        {
            ctx.Alert($"'{ctx.Keyword}' cannot handle unexpected argument '{ctx.Argument(3)}'.");
            return;
        }

        var rules = new List<CheckRule> { new CheckConnectRule { Step = 1, Default = true } };
        if (ctx.Argument(0) is { } option)
        {
            if (option != "user")
            {
                ctx.Alert($"'{ctx.Keyword}' only supports optional values: 'user' (got '{option}').");
                return;
            }

            if (ctx.Argument(1) is not { } name)
            {
                ctx.Alert($"'{ctx.Keyword} user' expects <username> as argument.");
                return;
            }

            var post41 = ctx.Argument(2) is null or "post-41";
            if (!post41 && ctx.Argument(2) != "pre-41")
            {
                ctx.Alert($"keyword 'user' only supports 'post-41' and 'pre-41' (got '{ctx.Argument(2)}').");
                return;
            }

            var user = Encoding.Latin1.GetBytes(name);
            var length = user.Length + 7 + (post41 ? 27 : 0);
            var packet = new List<byte> { (byte)length, (byte)(length >> 8), (byte)(length >> 16), 0x01 };
            packet.AddRange(post41
                ? [0x00, 0x82, 0x00, 0x00, 0x00, 0x80, 0x00, 0x01, 0x21, .. new byte[23]] // capabilities, max packet, utf8, filler
                : [0x00, 0x80, 0x00, 0x00, 0x01]);
            packet.AddRange(user);
            packet.AddRange([0x00, 0x00]);               // end of user name, empty auth data
            packet.AddRange([0x01, 0x00, 0x00, 0x00, 0x01]); // COM_QUIT
            rules.Add(new CheckSendRule([.. packet]) { Step = 2 });
            rules.Add(new CheckExpectRule(CheckExpectKind.MysqlHandshake, string.Empty, false) { Step = 3 });
            rules.Add(new CheckExpectRule(CheckExpectKind.MysqlOk, string.Empty, false) { Step = 4 });
        }
        else
        {
            rules.Add(new CheckExpectRule(CheckExpectKind.MysqlHandshake, string.Empty, false) { Step = 2 });
        }

        SetProtocol(section, CheckProtocol.Mysql, rules);
    }

    /// <summary><c>option ldap-check</c>: an anonymous LDAPv3 bind request (RFC 4511 §4.2), a bind response with result 0.</summary>
    public static void ParseLdapCheck(KeywordContext ctx, ProxySection section)
    {
        if (NoArgument(ctx))
        {
            SetProtocol(section, CheckProtocol.Ldap,
            [
                new CheckSendRule(Convert.FromHexString("300C020101600702010304008000")) { Step = 1 },
                new CheckExpectRule(CheckExpectKind.RBinary, "^30", false) { Step = 2, MinRecv = 14, OnError = "Not LDAPv3 protocol" },
                new CheckExpectRule(CheckExpectKind.LdapBindResponse, string.Empty, false) { Step = 3 },
            ]);
        }
    }
}

/// <summary>`tcp-check comment TEXT`: names the rules after it in failure messages.</summary>
internal sealed record CheckCommentRule : CheckRule;

/// <summary>
/// An `http-check send` as written (or the request of `option httpchk`), before the configuration is built: the
/// first explicit one completes the option's request, as HAProxy merges them.
/// </summary>
internal sealed record PendingHttpSendRule(HttpCheckSend Send, bool FromOption) : CheckRule;
