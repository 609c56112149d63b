using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Text;
using Sluice.Messages;
using HttpVersion = Sluice.Messages.HttpVersion;
using Sluice.Rules.Samples;
using Sluice.Transactions;

namespace Sluice.Logging;

/// <summary>The `%{...}` flags of a log-format item.</summary>
[Flags]
internal enum LogFormatFlags : byte
{
    None = 0,
    /// <summary>`+Q`: the value between double quotes.</summary>
    Quote = 1 << 0,
    /// <summary>`+X`: numbers and addresses in hexadecimal.</summary>
    Hex = 1 << 1,
    /// <summary>`+E`: `"`, `\` and `]` escaped with a backslash.</summary>
    Escape = 1 << 2,
}

/// <summary>
/// A compiled log-format string (configuration.txt §8.2.4): literal text, `%[sample,expression]` and `%name`
/// variables, each with optional `%{+Q}` style flags. One compiler serves `log-format`, `set-header`,
/// `lf-string` and dynamic `use_backend` names; rendering appends to a buffer and allocates nothing.
/// </summary>
internal sealed class LogFormat
{
    /// <summary>
    /// The bytes HAProxy %-encodes when a sample goes into an HTTP field (`http_encode_map`): controls except
    /// HTAB, and DEL.
    /// </summary>
    private static readonly SearchValues<byte> HttpEncoded = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127]);

    private readonly Node[] _nodes;

    /// <summary>
    /// True for the formats of http-request and http-response actions (HAProxy's LOG_OPT_HTTP): a sample is
    /// written without quotes, a missing one as nothing, and control characters %-encoded, so the value is a
    /// valid field. Logs and `use_backend` names keep the log rules (`-` for a missing value, `+Q` quotes).
    /// </summary>
    private readonly bool _http;

    private LogFormat(string text, Node[] nodes, SampleSources needs, bool http)
    {
        Text = text;
        _nodes = nodes;
        Needs = needs;
        _http = http;
    }

    public string Text { get; }

    /// <summary>The sources its expressions read.</summary>
    public SampleSources Needs { get; }

    /// <summary>HAProxy's variables that need an HTTP transaction: a mode tcp proxy's format may not use them.</summary>
    private static readonly HashSet<LogVariable> HttpOnlyVariables =
    [
        LogVariable.Ti, LogVariable.TR, LogVariable.Tq, LogVariable.Ta, LogVariable.Tr, LogVariable.RequestLine,
        LogVariable.Method, LogVariable.Path, LogVariable.PathOnly, LogVariable.Query, LogVariable.Uri, LogVariable.Version,
        LogVariable.ClientCookie, LogVariable.ServerCookie, LogVariable.RequestDate, LogVariable.RequestDateGmt, LogVariable.RequestDateLocal,
    ];

    /// <summary>The name of the first variable only an HTTP proxy has (`Ti`, `r`, ...); null when there is none.</summary>
    public string? FirstHttpOnlyVariable() =>
        _nodes.FirstOrDefault(n => n.Kind == NodeKind.Variable && HttpOnlyVariables.Contains(n.Variable)) is { } node
            ? Variables.First(v => v.Value == node.Variable).Key
            : null;

    /// <summary>True when the format is only text, so its value can be computed once.</summary>
    public bool IsConstant => _nodes.All(n => n.Kind is NodeKind.Literal or NodeKind.Separator);

    /// <summary>The text of a constant format.</summary>
    public byte[] ConstantBytes => [.. _nodes.SelectMany(n => n.Kind == NodeKind.Separator ? [(byte)' '] : n.Literal)];

    /// <summary>
    /// Renders the format as a name and finds it in <paramref name="names"/>: the dynamic targets of `use_backend`
    /// and `use-server`. False when it names nothing there (or is longer than any name can be).
    /// </summary>
    public bool TryFindName<T>(SampleContext ctx, Dictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> names, out T? found)
    {
        var output = ctx.FormatOutput;
        output.ResetWrittenCount();
        Render(ctx, output);
        Span<char> chars = stackalloc char[256];
        if (output.WrittenCount <= chars.Length && names.TryGetValue(chars[..Encoding.Latin1.GetChars(output.WrittenSpan, chars)], out var value))
        {
            found = value;
            return true;
        }

        found = default;
        return false;
    }

    /// <summary>Appends the rendered format to <paramref name="output"/>.</summary>
    public void Render(SampleContext ctx, ArrayBufferWriter<byte> output)
    {
        // HAProxy's separators: a run of spaces of a log format is one space, written only after something that
        // was written (so an empty capture list leaves no double space, and a line never starts with one).
        var lastIsSpace = true;
        foreach (var node in _nodes)
        {
            var before = output.WrittenCount;
            switch (node.Kind)
            {
                case NodeKind.Separator:
                    if (!lastIsSpace)
                    {
                        output.Write(" "u8);
                        lastIsSpace = true;
                    }

                    continue;
                case NodeKind.Literal:
                    output.Write(node.Literal);
                    break;
                case NodeKind.Expression:
                    ctx.ResetScratch();
                    if (node.Expression!.TryEvaluate(ctx, out var sample))
                    {
                        WriteSample(output, sample, _http ? node.Flags & ~LogFormatFlags.Quote : node.Flags, _http);
                    }
                    else if (!_http)
                    {
                        WriteMissing(output, node.Flags);
                    }

                    break;
                default:
                    WriteVariable(ctx, output, node);
                    break;
            }

            // A variable counts as written even when empty (`%HQ` without a query leaves two spaces), except the
            // capture lists, which HAProxy skips whole when the proxy captures nothing.
            if (output.WrittenCount != before || (node.Kind == NodeKind.Variable && !IsCaptureList(node.Variable)))
            {
                lastIsSpace = false;
            }
        }
    }

    private static bool IsCaptureList(LogVariable variable) =>
        variable is LogVariable.RequestCaptures or LogVariable.RequestCaptureList or LogVariable.ResponseCaptures or LogVariable.ResponseCaptureList;

    /// <summary>
    /// Compiles a format; the error is HAProxy's message without its prefix. Spaces are separators (see
    /// <see cref="Render"/>) in log lines, and in the unique ID with <paramref name="spacesSeparate"/>.
    /// </summary>
    public static LogFormat? Parse(string text, RuleSite site, out string? error, bool spacesSeparate = false)
    {
        var nodes = new List<Node>();
        var literal = new List<byte>();
        var needs = SampleSources.None;
        error = null;
        var i = 0;
        // `%{...}o` sets the flags of every item after it.
        var globalFlags = LogFormatFlags.None;
        var separators = spacesSeparate || site == RuleSite.Log;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == ' ' && separators)
            {
                if (literal.Count > 0)
                {
                    nodes.Add(Node.Text([.. literal]));
                    literal.Clear();
                }

                if (nodes.Count == 0 || nodes[^1].Kind != NodeKind.Separator)
                {
                    nodes.Add(Node.Separator);
                }

                while (i < text.Length && text[i] == ' ')
                {
                    i++;
                }

                continue;
            }

            if (c != '%')
            {
                literal.AddRange(Encoding.Latin1.GetBytes(c.ToString()));
                i++;
                continue;
            }

            if (i + 1 < text.Length && text[i + 1] == '%')
            {
                literal.Add((byte)'%');
                i += 2;
                continue;
            }

            i++;
            if (i >= text.Length)
            {
                error = "truncated line after '%'";
                return null;
            }

            var flags = globalFlags;
            if (i < text.Length && text[i] == '{')
            {
                var close = text.IndexOf('}', i);
                if (close < 0)
                {
                    error = $"missing '}}' after '%{{' in '{text}'";
                    return null;
                }

                if (!TryParseFlags(text[(i + 1)..close], ref flags, out error))
                {
                    return null;
                }

                i = close + 1;
            }

            if (i < text.Length && text[i] == 'o' && (i + 1 >= text.Length || !char.IsAsciiLetter(text[i + 1])))
            {
                globalFlags = flags;
                i++;
                continue;
            }

            if (literal.Count > 0)
            {
                nodes.Add(Node.Text([.. literal]));
                literal.Clear();
            }

            if (i < text.Length && text[i] == '[')
            {
                i++;
                var start = i;
                var expression = SampleExpressionParser.Parse(text, ref i, ']', forAcl: false, out var expressionError);
                if (expression is null)
                {
                    error = $"failed to parse sample expression <{text[start..]}> : {expressionError}";
                    return null;
                }

                if (i >= text.Length)
                {
                    error = $"missing ']' after '{text[start..]}'";
                    return null;
                }

                i++;
                if ((expression.Needs & site.Available) != expression.Needs)
                {
                    var missing = expression.Needs & ~site.Available;
                    error = $"sample fetch <{text[start..]}> may not be reliably used here because it needs '{RuleSite.Describe(LowestFlag(missing))}' which is not available here";
                    return null;
                }

                needs |= expression.Needs;
                nodes.Add(Node.ForSample(expression, flags));
                continue;
            }

            var nameStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            var name = text[nameStart..i];
            var variable = MatchVariable(name, out var used);
            if (variable is null)
            {
                error = name.Length == 0 && i < text.Length
                    ? $"unexpected character '{text[i]}' after '%' in '{text}'. If you wanted to emit the '%' character verbatim, you need to use '%%'"
                    : $"no such format variable '{name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'";
                return null;
            }

            i = nameStart + used;
            if (variable == LogVariable.NotSupported)
            {
                error = $"format variable '{name[..used]}' is not supported yet";
                return null;
            }

            nodes.Add(Node.ForVariable(variable.Value, flags));
        }

        if (literal.Count > 0)
        {
            nodes.Add(Node.Text([.. literal]));
        }

        return new LogFormat(text, [.. nodes], needs, IsHttpRuleSite(site));
    }

    private static bool IsHttpRuleSite(RuleSite site) =>
        site == RuleSite.HttpRequest(backend: false) || site == RuleSite.HttpRequest(backend: true)
        || site == RuleSite.HttpResponse(backend: false) || site == RuleSite.HttpResponse(backend: true);

    private static SampleSources LowestFlag(SampleSources flags) => (SampleSources)((int)flags & -(int)flags);

    private static bool TryParseFlags(string text, ref LogFormatFlags flags, out string? error)
    {
        error = null;
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == ',')
            {
                i++;
                continue;
            }

            if (i + 1 >= text.Length || text[i] is not ('+' or '-'))
            {
                error = $"unexpected character '{text[i]}' in log-format flags '{text}'";
                return false;
            }

            var add = text[i] == '+';
            // HAProxy ignores flags it does not know.
            var flag = text[i + 1] switch
            {
                'Q' => LogFormatFlags.Quote,
                'X' => LogFormatFlags.Hex,
                'E' => LogFormatFlags.Escape,
                _ => LogFormatFlags.None,
            };
            flags = add ? flags | flag : flags & ~flag;
            i += 2;
        }

        return true;
    }

    /// <summary>
    /// Variables are matched longest first (`%HPO` before `%HP`), as their names run into the text after them.
    /// </summary>
    private static LogVariable? MatchVariable(string name, out int used)
    {
        for (used = Math.Min(name.Length, 5); used > 0; used--)
        {
            if (Variables.TryGetValue(name[..used], out var variable))
            {
                return variable;
            }
        }

        return null;
    }

    private static readonly Dictionary<string, LogVariable> Variables = BuildVariables();

    private static Dictionary<string, LogVariable> BuildVariables()
    {
        var table = new Dictionary<string, LogVariable>(StringComparer.Ordinal)
        {
            ["ci"] = LogVariable.ClientIp,
            ["cp"] = LogVariable.ClientPort,
            ["fi"] = LogVariable.FrontendIp,
            ["fp"] = LogVariable.FrontendPort,
            ["f"] = LogVariable.Frontend,
            ["ft"] = LogVariable.FrontendTransport,
            ["b"] = LogVariable.Backend,
            ["s"] = LogVariable.Server,
            ["H"] = LogVariable.Hostname,
            ["pid"] = LogVariable.Pid,
            ["HM"] = LogVariable.Method,
            ["HU"] = LogVariable.Uri,
            ["HP"] = LogVariable.Path,
            ["HPO"] = LogVariable.PathOnly,
            ["HQ"] = LogVariable.Query,
            ["HV"] = LogVariable.Version,
            ["r"] = LogVariable.RequestLine,
            ["ST"] = LogVariable.Status,
            ["Ts"] = LogVariable.Timestamp,
            ["hr"] = LogVariable.RequestCaptures,
            ["hrl"] = LogVariable.RequestCaptureList,
            ["hs"] = LogVariable.ResponseCaptures,
            ["hsl"] = LogVariable.ResponseCaptureList,
            ["ac"] = LogVariable.ActConn,
            ["fc"] = LogVariable.FeConn,
            ["bc"] = LogVariable.BeConn,
            ["sc"] = LogVariable.SrvConn,
            ["rc"] = LogVariable.Retries,
            ["sq"] = LogVariable.SrvQueue,
            ["bq"] = LogVariable.BackendQueue,
            ["B"] = LogVariable.BytesOut,
            ["U"] = LogVariable.BytesIn,
            ["bi"] = LogVariable.BackendIp,
            ["bp"] = LogVariable.BackendPort,
            ["si"] = LogVariable.ServerIp,
            ["sp"] = LogVariable.ServerPort,
            ["CC"] = LogVariable.ClientCookie,
            ["CS"] = LogVariable.ServerCookie,
            ["lc"] = LogVariable.LogCounter,
            ["rt"] = LogVariable.RequestCounter,
            ["ms"] = LogVariable.AcceptMilliseconds,
            ["t"] = LogVariable.AcceptDate,
            ["T"] = LogVariable.AcceptDateGmt,
            ["Tl"] = LogVariable.AcceptDateLocal,
            ["tr"] = LogVariable.RequestDate,
            ["trg"] = LogVariable.RequestDateGmt,
            ["trl"] = LogVariable.RequestDateLocal,
            ["Th"] = LogVariable.Th,
            ["Ti"] = LogVariable.Ti,
            ["TR"] = LogVariable.TR,
            ["Tq"] = LogVariable.Tq,
            ["Tw"] = LogVariable.Tw,
            ["Tc"] = LogVariable.Tc,
            ["Tr"] = LogVariable.Tr,
            ["Td"] = LogVariable.Td,
            ["Ta"] = LogVariable.Ta,
            ["Tt"] = LogVariable.Tt,
            ["Tu"] = LogVariable.Tu,
            ["ts"] = LogVariable.TerminationState,
            ["tsc"] = LogVariable.TerminationStateCookies,
            ["sslc"] = LogVariable.SslCipher,
            ["sslv"] = LogVariable.SslVersion,
            ["ID"] = LogVariable.UniqueId,
        };

        return table;
    }

    private static readonly byte[] HostName = Encoding.Latin1.GetBytes(Environment.MachineName);

    private static ReadOnlySpan<byte> BadRequest => "<BADREQ>"u8;

    private static void WriteVariable(SampleContext ctx, ArrayBufferWriter<byte> output, Node node)
    {
        var request = ctx.Request;
        switch (node.Variable)
        {
            case LogVariable.ClientIp:
                WriteAddress(output, (ctx.ClientEndPoint as IPEndPoint)?.Address, node.Flags);
                break;
            case LogVariable.ClientPort:
                WriteNumber(output, (ctx.ClientEndPoint as IPEndPoint)?.Port ?? 0, node.Flags, hexDigits: 4);
                break;
            case LogVariable.FrontendIp:
                WriteAddress(output, (ctx.LocalEndPoint as IPEndPoint)?.Address, node.Flags);
                break;
            case LogVariable.FrontendPort:
                WriteNumber(output, (ctx.LocalEndPoint as IPEndPoint)?.Port ?? 0, node.Flags, hexDigits: 4);
                break;
            case LogVariable.Frontend:
                WriteText(output, ctx.FrontendName, node.Flags);
                break;
            case LogVariable.FrontendTransport:
                WriteText(output, ctx.FrontendName, node.Flags, closeQuote: false);
                if (ctx.IsTls)
                {
                    output.Write("~"u8);
                }

                OpenQuote(output, node.Flags);
                break;
            case LogVariable.Backend:
                WriteText(output, ctx.Backend?.NameBytes ?? ctx.FrontendName, node.Flags);
                break;
            case LogVariable.Server:
                WriteText(output, ctx.Server?.NameBytes ?? "<NOSRV>"u8, node.Flags);
                break;
            case LogVariable.Hostname:
                WriteText(output, HostName, node.Flags);
                break;
            case LogVariable.Pid:
                WriteNumber(output, Environment.ProcessId, node.Flags, hexDigits: 4);
                break;
            case LogVariable.Method or LogVariable.Uri or LogVariable.Path or LogVariable.PathOnly or LogVariable.Query or LogVariable.Version when request is null:
                // HAProxy writes the placeholder of a missing request line for each of its parts.
                WriteText(output, BadRequest, node.Flags);
                break;
            case LogVariable.Method:
                WriteText(output, request!.ReceivedMethodBytes, node.Flags);
                break;
            case LogVariable.Uri or LogVariable.Path or LogVariable.PathOnly or LogVariable.Query:
                WriteUriPart(output, request!, node.Variable, node.Flags);
                break;
            case LogVariable.Version:
                WriteText(output, VersionName(request!.Version), node.Flags);
                break;
            case LogVariable.RequestLine:
                OpenQuote(output, node.Flags);
                if (request is null)
                {
                    output.Write(BadRequest);
                }
                else
                {
                    WriteEncoded(output, request.ReceivedMethodBytes, UrlEncoded);
                    output.Write(" "u8);
                    WriteLoggedUri(output, request);
                    output.Write(" "u8);
                    output.Write(VersionName(request.Version));
                }

                OpenQuote(output, node.Flags);
                break;
            case LogVariable.Status:
                WriteNumber(output, ctx.Log?.Status ?? ctx.Response?.Status ?? -1, node.Flags);
                break;
            case LogVariable.Timestamp:
                WriteNumber(output, ctx.Log is { } fields ? fields.AcceptUnixMs / 1000 : DateTimeOffset.UtcNow.ToUnixTimeSeconds(), node.Flags, hexDigits: 4);
                break;
            case LogVariable.RequestCaptures or LogVariable.RequestCaptureList or LogVariable.ResponseCaptures or LogVariable.ResponseCaptureList:
                WriteCaptures(ctx, output, node);
                break;
            default:
                WriteTrafficVariable(ctx, output, node);
                break;
        }
    }

    /// <summary>The variables that read what the transaction recorded for its log line (<see cref="LogFields"/>).</summary>
    private static void WriteTrafficVariable(SampleContext ctx, ArrayBufferWriter<byte> output, Node node)
    {
        var log = ctx.Log ?? EmptyFields;
        var flags = node.Flags;
        switch (node.Variable)
        {
            case LogVariable.ActConn:
                WriteNumber(output, log.ActConn, flags);
                break;
            case LogVariable.FeConn:
                WriteNumber(output, log.FeConn, flags);
                break;
            case LogVariable.BeConn:
                WriteNumber(output, log.BeConn, flags);
                break;
            case LogVariable.SrvConn:
                WriteNumber(output, log.SrvConn, flags);
                break;
            case LogVariable.Retries:
                if (log.Redispatched)
                {
                    output.Write("+"u8);
                }

                WriteNumber(output, log.Retries, flags);
                break;
            case LogVariable.SrvQueue:
                WriteNumber(output, log.SrvQueue, flags);
                break;
            case LogVariable.BackendQueue:
                WriteNumber(output, log.BackendQueue, flags);
                break;
            case LogVariable.BytesOut:
                WritePlus(output, log);
                WriteNumber(output, log.BytesOut, flags);
                break;
            case LogVariable.BytesIn:
                WriteNumber(output, log.BytesIn, flags);
                break;
            case LogVariable.BackendIp:
                WriteAddress(output, (log.BackendLocalEndPoint as IPEndPoint)?.Address, flags);
                break;
            case LogVariable.BackendPort:
                WritePort(output, log.BackendLocalEndPoint, flags);
                break;
            case LogVariable.ServerIp:
                WriteAddress(output, ServerTarget(ctx)?.Address, flags);
                break;
            case LogVariable.ServerPort:
                if (ServerTarget(ctx) is { } target)
                {
                    WriteNumber(output, target.Port, flags, hexDigits: 4);
                }
                else
                {
                    WriteMissing(output, flags);
                }

                break;
            case LogVariable.ClientCookie or LogVariable.ServerCookie:
                if (ctx.Captures.TryGetCookie(node.Variable == LogVariable.ServerCookie, out var cookie))
                {
                    WriteText(output, cookie.Bytes, flags);
                }
                else
                {
                    WriteMissing(output, flags);
                }

                break;
            case LogVariable.UniqueId:
                if (ctx.TryGetUniqueId(out var uniqueId))
                {
                    WriteText(output, uniqueId.Bytes, flags);
                }
                else
                {
                    WriteMissing(output, flags);
                }

                break;
            case LogVariable.LogCounter:
                WriteNumber(output, ctx.LogCounter, flags, hexDigits: 4);
                break;
            case LogVariable.RequestCounter:
                WriteNumber(output, ctx.RequestNumber, flags, hexDigits: 4);
                break;
            case LogVariable.AcceptMilliseconds:
                if ((flags & LogFormatFlags.Hex) != 0)
                {
                    WriteNumber(output, log.AcceptUnixMs % 1000, flags, hexDigits: 2);
                }
                else
                {
                    WritePadded(output, log.AcceptUnixMs % 1000, 3);
                }

                break;
            case LogVariable.AcceptDate:
                WriteDate(output, log.AcceptUnixMs, LogDateStyle.LocalMilliseconds);
                break;
            case LogVariable.AcceptDateGmt:
                WriteDate(output, log.AcceptUnixMs, LogDateStyle.Gmt);
                break;
            case LogVariable.AcceptDateLocal:
                WriteDate(output, log.AcceptUnixMs, LogDateStyle.LocalOffset);
                break;
            case LogVariable.RequestDate:
                WriteDate(output, log.RequestUnixMs, LogDateStyle.LocalMilliseconds);
                break;
            case LogVariable.RequestDateGmt:
                WriteDate(output, log.RequestUnixMs, LogDateStyle.Gmt);
                break;
            case LogVariable.RequestDateLocal:
                WriteDate(output, log.RequestUnixMs, LogDateStyle.LocalOffset);
                break;
            case LogVariable.Th:
                WriteNumber(output, log.Th, flags);
                break;
            case LogVariable.Ti:
                WriteNumber(output, log.Ti, flags);
                break;
            case LogVariable.TR:
                WriteNumber(output, log.TR, flags);
                break;
            case LogVariable.Tq:
                WriteNumber(output, log.Tq, flags);
                break;
            case LogVariable.Tw:
                WriteNumber(output, log.Tw, flags);
                break;
            case LogVariable.Tc:
                WriteNumber(output, log.Tc, flags);
                break;
            case LogVariable.Tr:
                WriteNumber(output, log.Tr, flags);
                break;
            case LogVariable.Td:
                WriteNumber(output, log.Td, flags);
                break;
            case LogVariable.Ta:
                WritePlus(output, log);
                WriteNumber(output, log.Tt - Math.Max(0, log.Th) - Math.Max(0, log.Ti), flags);
                break;
            case LogVariable.Tt:
                WritePlus(output, log);
                WriteNumber(output, log.Tt, flags);
                break;
            case LogVariable.Tu:
                WritePlus(output, log);
                WriteNumber(output, log.Tt - Math.Max(0, log.Ti), flags);
                break;
            case LogVariable.TerminationState or LogVariable.TerminationStateCookies:
                var state = output.GetSpan(4);
                state[0] = (byte)TerminationCodes.CauseChar(log.Cause);
                state[1] = (byte)TerminationCodes.PhaseChar(log.Phase);
                var length = 2;
                if (node.Variable == LogVariable.TerminationStateCookies)
                {
                    state[2] = (byte)log.PersistenceCookie;
                    state[3] = (byte)log.SetCookie;
                    length = 4;
                }

                output.Advance(length);
                break;
            case LogVariable.SslCipher:
                WriteAscii(output, ctx.Tls?.CipherText, flags);
                break;
            case LogVariable.SslVersion:
                WriteAscii(output, ctx.Tls?.ProtocolText, flags);
                break;
        }
    }

    private static readonly LogFields EmptyFields = CreateEmptyFields();

    private static LogFields CreateEmptyFields()
    {
        var fields = new LogFields();
        fields.Reset();
        return fields;
    }

    private static void WritePlus(ArrayBufferWriter<byte> output, LogFields log)
    {
        if (log.Early)
        {
            output.Write("+"u8);
        }
    }

    private static void WritePort(ArrayBufferWriter<byte> output, EndPoint? endPoint, LogFormatFlags flags)
    {
        if (endPoint is IPEndPoint ip)
        {
            WriteNumber(output, ip.Port, flags, hexDigits: 4);
        }
        else
        {
            WriteMissing(output, flags);
        }
    }

    private static void WriteAscii(ArrayBufferWriter<byte> output, string? text, LogFormatFlags flags)
    {
        if (text is null)
        {
            WriteMissing(output, flags);
            return;
        }

        Span<byte> bytes = stackalloc byte[64];
        var length = Encoding.Latin1.GetBytes(text.AsSpan(0, Math.Min(text.Length, bytes.Length)), bytes);
        WriteText(output, bytes[..length], flags);
    }

    private static void WritePadded(ArrayBufferWriter<byte> output, long value, int digits)
    {
        var span = output.GetSpan(digits);
        for (var i = digits - 1; i >= 0; i--)
        {
            span[i] = (byte)('0' + (value % 10));
            value /= 10;
        }

        output.Advance(digits);
    }

    private enum LogDateStyle : byte
    {
        /// <summary>`02/Dec/2026:02:33:15.265`, local time (`%t`, `%tr`).</summary>
        LocalMilliseconds,
        /// <summary>`02/Dec/2026:02:33:15 +0000` in GMT (`%T`, `%trg`).</summary>
        Gmt,
        /// <summary>`02/Dec/2026:02:33:15 +0100`, local time with its offset (`%Tl`, `%trl`).</summary>
        LocalOffset,
    }

    private static ReadOnlySpan<byte> MonthNames => "JanFebMarAprMayJunJulAugSepOctNovDec"u8;

    /// <summary>Dates are written as they are: HAProxy quotes none of them.</summary>
    private static void WriteDate(ArrayBufferWriter<byte> output, long unixMs, LogDateStyle style)
    {
        var utc = DateTime.UnixEpoch.AddTicks(unixMs * TimeSpan.TicksPerMillisecond);
        var offset = style == LogDateStyle.Gmt ? TimeSpan.Zero : TimeZoneInfo.Local.GetUtcOffset(utc);
        var time = utc + offset;
        var span = output.GetSpan(32);
        FormatTwo(span, time.Day);
        span[2] = (byte)'/';
        MonthNames.Slice((time.Month - 1) * 3, 3).CopyTo(span[3..]);
        span[6] = (byte)'/';
        var year = time.Year;
        span[7] = (byte)('0' + (year / 1000));
        span[8] = (byte)('0' + (year / 100 % 10));
        span[9] = (byte)('0' + (year / 10 % 10));
        span[10] = (byte)('0' + (year % 10));
        span[11] = (byte)':';
        FormatTwo(span[12..], time.Hour);
        span[14] = (byte)':';
        FormatTwo(span[15..], time.Minute);
        span[17] = (byte)':';
        FormatTwo(span[18..], time.Second);
        var length = 20;
        if (style == LogDateStyle.LocalMilliseconds)
        {
            span[20] = (byte)'.';
            var ms = time.Millisecond;
            span[21] = (byte)('0' + (ms / 100));
            span[22] = (byte)('0' + (ms / 10 % 10));
            span[23] = (byte)('0' + (ms % 10));
            length = 24;
        }
        else
        {
            span[20] = (byte)' ';
            span[21] = offset < TimeSpan.Zero ? (byte)'-' : (byte)'+';
            var minutes = (int)Math.Abs(offset.TotalMinutes);
            FormatTwo(span[22..], minutes / 60);
            FormatTwo(span[24..], minutes % 60);
            length = 26;
        }

        output.Advance(length);
    }

    private static void FormatTwo(Span<byte> span, int value)
    {
        span[0] = (byte)('0' + (value / 10));
        span[1] = (byte)('0' + (value % 10));
    }

    /// <summary>
    /// The URI as HAProxy logs it: an HTTP/2 request that names its scheme and authority is logged in absolute
    /// form (`GET http://host/path HTTP/2.0`), as HAProxy rebuilds it from the pseudo-headers.
    /// </summary>
    private static void WriteLoggedUri(ArrayBufferWriter<byte> output, HttpRequestHead request)
    {
        if (IsLoggedInAbsoluteForm(request))
        {
            WriteEncoded(output, request.ReceivedScheme, UrlEncoded);
            output.Write("://"u8);
            WriteEncoded(output, request.ReceivedAuthority, UrlEncoded);
        }

        WriteEncoded(output, request.ReceivedTarget, UrlEncoded);
    }

    private static bool IsLoggedInAbsoluteForm(HttpRequestHead request) =>
        request.Version == HttpVersion.Http20 && !request.ReceivedScheme.IsEmpty && !request.ReceivedAuthority.IsEmpty
        && request.ReceivedTarget.Length > 0 && request.ReceivedTarget[0] == (byte)'/';

    /// <summary>`%HU`, `%HP`, `%HPO`, `%HQ`: parts of the URI as <see cref="WriteLoggedUri"/> writes it (absolute form for HTTP/2).</summary>
    private static void WriteUriPart(ArrayBufferWriter<byte> output, HttpRequestHead request, LogVariable part, LogFormatFlags flags)
    {
        var uri = request.ReceivedTarget;
        byte[]? rented = null;
        if (IsLoggedInAbsoluteForm(request))
        {
            var scheme = request.ReceivedScheme;
            var authority = request.ReceivedAuthority;
            var length = scheme.Length + 3 + authority.Length + uri.Length;
            rented = ArrayPool<byte>.Shared.Rent(length);
            scheme.CopyTo(rented);
            "://"u8.CopyTo(rented.AsSpan(scheme.Length));
            authority.CopyTo(rented.AsSpan(scheme.Length + 3));
            uri.CopyTo(rented.AsSpan(scheme.Length + 3 + authority.Length));
            uri = rented.AsSpan(0, length);
        }

        var query = MessageSlices.Query(uri, out var present);
        WriteText(output, part switch
        {
            LogVariable.Uri => uri,
            LogVariable.Path => UpToQuery(uri),
            LogVariable.PathOnly => MessageSlices.Path(uri),
            _ => present ? uri[^(query.Length + 1)..] : default,
        }, flags);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static ReadOnlySpan<byte> VersionName(HttpVersion version) => version switch
    {
        HttpVersion.Http20 => "HTTP/2.0"u8,
        HttpVersion.Http10 => "HTTP/1.0"u8,
        _ => "HTTP/1.1"u8,
    };

    private static ReadOnlySpan<byte> UpToQuery(ReadOnlySpan<byte> target)
    {
        var question = target.IndexOf((byte)'?');
        return question < 0 ? target : target[..question];
    }

    /// <summary>`%hr`/`%hs`: `{a|b}`; `%hrl`/`%hsl`: the values separated by spaces, each quoted with `+Q`.</summary>
    private static void WriteCaptures(SampleContext ctx, ArrayBufferWriter<byte> output, Node node)
    {
        var response = node.Variable is LogVariable.ResponseCaptures or LogVariable.ResponseCaptureList;
        var braces = node.Variable is LogVariable.RequestCaptures or LogVariable.ResponseCaptures;
        var count = response ? ctx.Captures.ResponseCount : ctx.Captures.RequestCount;
        if (count == 0)
        {
            return;
        }

        if (braces)
        {
            OpenQuote(output, node.Flags);
            output.Write("{"u8);
        }

        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                output.Write(braces ? "|"u8 : " "u8);
            }

            var found = ctx.Captures.TryGet(response, i, out var value);
            if (braces)
            {
                WriteEncoded(output, value.Bytes, HeaderEncoded);
            }
            else if (!found)
            {
                WriteMissing(output, node.Flags);
            }
            else
            {
                OpenQuote(output, node.Flags);
                WriteEncoded(output, value.Bytes, HeaderEncoded);
                OpenQuote(output, node.Flags);
            }
        }

        if (braces)
        {
            output.Write("}"u8);
            OpenQuote(output, node.Flags);
        }
    }

    /// <summary>HAProxy's `hdr_encode_map`: what captured headers write as `#XX` (controls, 8-bit bytes, and `"#{|}`).</summary>
    private static readonly SearchValues<byte> HeaderEncoded = SearchValues.Create([.. Enumerable.Range(0, 32).Select(b => (byte)b), .. Enumerable.Range(127, 129).Select(b => (byte)b), .. "\"#{|}"u8]);

    /// <summary>HAProxy's `url_encode_map`: what the request line writes as `#XX` (controls, 8-bit bytes, `"` and `#`).</summary>
    private static readonly SearchValues<byte> UrlEncoded = SearchValues.Create([.. Enumerable.Range(0, 32).Select(b => (byte)b), .. Enumerable.Range(127, 129).Select(b => (byte)b), .. "\"#"u8]);

    private static void WriteEncoded(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> text, SearchValues<byte> map)
    {
        while (!text.IsEmpty)
        {
            var next = text.IndexOfAny(map);
            if (next < 0)
            {
                output.Write(text);
                return;
            }

            output.Write(text[..next]);
            var hex = output.GetSpan(3);
            hex[0] = (byte)'#';
            Convert.TryToHexString(text.Slice(next, 1), hex[1..], out _);
            output.Advance(3);
            text = text[(next + 1)..];
        }
    }

    private static void OpenQuote(ArrayBufferWriter<byte> output, LogFormatFlags flags)
    {
        if ((flags & LogFormatFlags.Quote) != 0)
        {
            output.Write("\""u8);
        }
    }

    private static void WriteMissing(ArrayBufferWriter<byte> output, LogFormatFlags flags) =>
        output.Write((flags & LogFormatFlags.Quote) != 0 ? "\"\""u8 : "-"u8);

    private static void WriteText(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> text, LogFormatFlags flags, bool missing = false, bool closeQuote = true, bool httpEncode = false)
    {
        if (missing)
        {
            WriteMissing(output, flags);
            return;
        }

        OpenQuote(output, flags);
        var encode = httpEncode && text.ContainsAny(HttpEncoded);
        if ((flags & LogFormatFlags.Escape) == 0 && !encode)
        {
            output.Write(text);
        }
        else
        {
            foreach (var b in text)
            {
                if (encode && HttpEncoded.Contains(b))
                {
                    var hex = output.GetSpan(3);
                    hex[0] = (byte)'%';
                    Convert.TryToHexString([b], hex[1..], out _);
                    output.Advance(3);
                    continue;
                }

                if ((flags & LogFormatFlags.Escape) != 0 && b is (byte)'"' or (byte)'\\' or (byte)']')
                {
                    output.Write("\\"u8);
                }

                output.GetSpan(1)[0] = b;
                output.Advance(1);
            }
        }

        if (closeQuote)
        {
            OpenQuote(output, flags);
        }
    }

    /// <summary>
    /// A number in decimal; with `+X` in hexadecimal of at least <paramref name="hexDigits"/> digits, for the
    /// variables HAProxy writes so (ports, `%pid`, `%Ts`, `%rt`, `%lc` with 4, `%ms` with 2). The others ignore `+X`.
    /// </summary>
    private static void WriteNumber(ArrayBufferWriter<byte> output, long value, LogFormatFlags flags, byte hexDigits = 0)
    {
        var span = output.GetSpan(24);
        var ok = hexDigits > 0 && (flags & LogFormatFlags.Hex) != 0
            ? Utf8Formatter.TryFormat(value, span, out var written, new StandardFormat('X', hexDigits))
            : Utf8Formatter.TryFormat(value, span, out written);
        output.Advance(ok ? written : 0);
    }

    /// <summary>Where the transaction's server is reached (`0.0.0.0` and port 0 mean the client's destination); null without an IP server.</summary>
    private static IPEndPoint? ServerTarget(SampleContext ctx) => ctx.Server?.Address is Config.Model.InetServerAddress inet
        ? (IPEndPoint)Transport.ServerConnector.ResolveEndPoint(inet, ctx.LocalEndPoint as IPEndPoint)
        : null;

    private static void WriteAddress(ArrayBufferWriter<byte> output, IPAddress? address, LogFormatFlags flags)
    {
        if (address is null)
        {
            WriteMissing(output, flags);
            return;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if ((flags & LogFormatFlags.Hex) != 0 && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            Span<byte> bytes = stackalloc byte[4];
            address.TryWriteBytes(bytes, out _);
            var span = output.GetSpan(8);
            Convert.TryToHexString(bytes, span, out var hexWritten);
            output.Advance(hexWritten);
            return;
        }

        Span<byte> text = stackalloc byte[48];
        address.TryFormat(text, out var written);
        WriteText(output, text[..written], flags);
    }

    /// <summary>
    /// A sample is written as HAProxy casts it to a string: integers in decimal, addresses in their usual
    /// form, binaries as their bytes; `+X` does not apply to samples, `+Q` and `+E` do.
    /// </summary>
    private static void WriteSample(ArrayBufferWriter<byte> output, Sample sample, LogFormatFlags flags, bool http)
    {
        Span<byte> text = stackalloc byte[48];
        var written = 0;
        switch (sample.Type)
        {
            case SampleType.Int or SampleType.Bool:
                Utf8Formatter.TryFormat(sample.Integer, text, out written);
                break;
            case SampleType.Address:
                sample.Address!.TryFormat(text, out written);
                break;
            default:
                WriteText(output, sample.Bytes, flags, httpEncode: http);
                return;
        }

        WriteText(output, text[..written], flags, httpEncode: http);
    }

    private enum NodeKind : byte
    {
        Separator,
        Literal,
        Expression,
        Variable,
    }

    private sealed class Node
    {
        public NodeKind Kind { get; private init; }

        public byte[] Literal { get; private init; } = [];

        public SampleExpression? Expression { get; private init; }

        public LogVariable Variable { get; private init; }

        public LogFormatFlags Flags { get; private init; }

        public static Node Text(byte[] bytes) => new() { Kind = NodeKind.Literal, Literal = bytes };

        public static readonly Node Separator = new() { Kind = NodeKind.Separator };

        public static Node ForSample(SampleExpression expression, LogFormatFlags flags) => new() { Kind = NodeKind.Expression, Expression = expression, Flags = flags };

        public static Node ForVariable(LogVariable variable, LogFormatFlags flags) => new() { Kind = NodeKind.Variable, Variable = variable, Flags = flags };
    }
}

/// <summary>The `%name` variables of log formats that Sluice renders.</summary>
internal enum LogVariable : byte
{
    NotSupported,
    ClientIp,
    ClientPort,
    FrontendIp,
    FrontendPort,
    Frontend,
    FrontendTransport,
    Backend,
    Server,
    Hostname,
    Pid,
    Method,
    Uri,
    Path,
    PathOnly,
    Query,
    Version,
    RequestLine,
    Status,
    Timestamp,
    RequestCaptures,
    RequestCaptureList,
    ResponseCaptures,
    ResponseCaptureList,
    ActConn,
    FeConn,
    BeConn,
    SrvConn,
    Retries,
    SrvQueue,
    BackendQueue,
    BytesOut,
    BytesIn,
    BackendIp,
    BackendPort,
    ServerIp,
    ServerPort,
    ClientCookie,
    ServerCookie,
    LogCounter,
    RequestCounter,
    AcceptMilliseconds,
    AcceptDate,
    AcceptDateGmt,
    AcceptDateLocal,
    RequestDate,
    RequestDateGmt,
    RequestDateLocal,
    Th,
    Ti,
    TR,
    Tq,
    Tw,
    Tc,
    Tr,
    Td,
    Ta,
    Tt,
    Tu,
    TerminationState,
    TerminationStateCookies,
    SslCipher,
    SslVersion,
    UniqueId,
}
