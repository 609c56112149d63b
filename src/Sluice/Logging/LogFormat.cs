using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Text;
using Sluice.Messages;
using HttpVersion = Sluice.Messages.HttpVersion;
using Sluice.Rules.Samples;

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

    /// <summary>True when the format is only text, so its value can be computed once.</summary>
    public bool IsConstant => _nodes.All(n => n.Kind == NodeKind.Literal);

    /// <summary>The text of a constant format.</summary>
    public byte[] ConstantBytes => [.. _nodes.SelectMany(n => n.Literal)];

    /// <summary>Appends the rendered format to <paramref name="output"/>.</summary>
    public void Render(SampleContext ctx, ArrayBufferWriter<byte> output)
    {
        foreach (var node in _nodes)
        {
            switch (node.Kind)
            {
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
        }
    }

    /// <summary>Compiles a format; the error is HAProxy's message without its prefix.</summary>
    public static LogFormat? Parse(string text, RuleSite site, out string? error)
    {
        var nodes = new List<Node>();
        var literal = new List<byte>();
        var needs = SampleSources.None;
        error = null;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
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

            var flags = LogFormatFlags.None;
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
        };

        // HAProxy's other variables need the traffic log's timers and counters.
        foreach (var name in new[] { "o", "ac", "B", "bc", "bi", "bp", "bq", "CC", "CS", "cc", "fc", "ID",
                     "lc", "ms", "rc", "rt", "sc", "si", "sp", "sq", "sslc", "sslv", "t", "tr", "trg", "trl", "Ta", "Tc", "Td", "Th",
                     "Ti", "Tq", "TR", "Tr", "Tt", "Tu", "Tw", "T", "U", "ts", "tsc" })
        {
            table[name] = LogVariable.NotSupported;
        }

        return table;
    }

    private static readonly byte[] HostName = Encoding.Latin1.GetBytes(Environment.MachineName);

    private static void WriteVariable(SampleContext ctx, ArrayBufferWriter<byte> output, Node node)
    {
        var request = ctx.Request;
        switch (node.Variable)
        {
            case LogVariable.ClientIp:
                WriteAddress(output, (ctx.ClientEndPoint as IPEndPoint)?.Address, node.Flags);
                break;
            case LogVariable.ClientPort:
                WriteNumber(output, (ctx.ClientEndPoint as IPEndPoint)?.Port ?? 0, node.Flags);
                break;
            case LogVariable.FrontendIp:
                WriteAddress(output, (ctx.LocalEndPoint as IPEndPoint)?.Address, node.Flags);
                break;
            case LogVariable.FrontendPort:
                WriteNumber(output, (ctx.LocalEndPoint as IPEndPoint)?.Port ?? 0, node.Flags);
                break;
            case LogVariable.Frontend:
                WriteText(output, ctx.FrontendName, node.Flags);
                break;
            case LogVariable.FrontendTransport:
                WriteText(output, ctx.FrontendName, node.Flags & ~LogFormatFlags.Quote, closeQuote: false);
                if (ctx.IsTls)
                {
                    output.Write("~"u8);
                }

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
                WriteNumber(output, Environment.ProcessId, node.Flags);
                break;
            case LogVariable.Method:
                WriteText(output, request is null ? default : request.MethodBytes, node.Flags, missing: request is null);
                break;
            case LogVariable.Uri:
                WriteText(output, request is null ? default : request.Target, node.Flags, missing: request is null);
                break;
            case LogVariable.Path:
                WriteText(output, request is null ? default : UpToQuery(request.Target), node.Flags, missing: request is null);
                break;
            case LogVariable.PathOnly:
                WriteText(output, request is null ? default : MessageSlices.Path(request.Target), node.Flags, missing: request is null);
                break;
            case LogVariable.Query:
                if (request is null)
                {
                    WriteMissing(output, node.Flags);
                    break;
                }

                var query = MessageSlices.Query(request.Target, out var present);
                WriteText(output, present ? request.Target[^(query.Length + 1)..] : default, node.Flags);
                break;
            case LogVariable.Version:
                WriteText(output, request is null ? default : VersionName(request.Version), node.Flags, missing: request is null);
                break;
            case LogVariable.RequestLine:
                if (request is null)
                {
                    WriteMissing(output, node.Flags);
                    break;
                }

                OpenQuote(output, node.Flags);
                output.Write(request.MethodBytes);
                output.Write(" "u8);
                output.Write(request.Target);
                output.Write(" "u8);
                output.Write(VersionName(request.Version));
                OpenQuote(output, node.Flags);
                break;
            case LogVariable.Status:
                // HAProxy writes the status in decimal even with +X.
                WriteNumber(output, ctx.Response?.Status ?? -1, node.Flags & ~LogFormatFlags.Hex);
                break;
            case LogVariable.Timestamp:
                WriteNumber(output, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), node.Flags);
                break;
            case LogVariable.RequestCaptures or LogVariable.RequestCaptureList or LogVariable.ResponseCaptures or LogVariable.ResponseCaptureList:
                WriteCaptures(ctx, output, node);
                break;
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

            ctx.Captures.TryGet(response, i, out var value);
            if (braces)
            {
                WriteText(output, value.Bytes, node.Flags & ~LogFormatFlags.Quote);
            }
            else
            {
                WriteText(output, value.Bytes, node.Flags);
            }
        }

        if (braces)
        {
            output.Write("}"u8);
            OpenQuote(output, node.Flags);
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

    private static void WriteNumber(ArrayBufferWriter<byte> output, long value, LogFormatFlags flags)
    {
        var span = output.GetSpan(24);
        var ok = (flags & LogFormatFlags.Hex) != 0
            ? Utf8Formatter.TryFormat(value, span, out var written, new StandardFormat('X'))
            : Utf8Formatter.TryFormat(value, span, out written);
        output.Advance(ok ? written : 0);
    }

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
}
