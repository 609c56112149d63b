using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Config.Model;
using Sluice.Logging;
using Sluice.Messages;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Actions;

/// <summary>`allow`: the message goes through; the remaining rules of this set are skipped.</summary>
internal sealed class AllowAction : HttpAction
{
    public override bool IsFinal => true;

    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result) => RuleVerdict.Allow;
}

/// <summary>`reject` and `silent-drop`: the client connection is closed without an answer.</summary>
internal sealed class RejectAction : HttpAction
{
    public override bool IsFinal => true;

    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result) => RuleVerdict.Reject;
}

/// <summary>
/// `deny`, `tarpit` and `return`: the proxy answers with a reply fixed at load, or the proxy's page for a
/// status, or a reply whose body and fields are log-formats rendered now.
/// </summary>
internal sealed class ReplyAction : HttpAction
{
    public ReplyAction(RuleVerdict verdict, bool isDenial, HttpReturnRule spec, LogFormat? body, IReadOnlyList<(string Name, LogFormat Value)> dynamicHeaders)
    {
        Verdict = verdict;
        IsDenial = isDenial;
        Spec = spec;
        Body = body;
        DynamicHeaders = dynamicHeaders;
    }

    public RuleVerdict Verdict { get; }

    public bool IsDenial { get; }

    /// <summary>The reply as configured; the transaction's reply table holds its prebuilt form.</summary>
    public HttpReturnRule Spec { get; }

    /// <summary>An `lf-string` body, rendered per request; null for a fixed body.</summary>
    public LogFormat? Body { get; }

    public IReadOnlyList<(string Name, LogFormat Value)> DynamicHeaders { get; }

    public override bool IsFinal => true;

    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        result.IsDenial = IsDenial;
        result.Status = Spec.Status;
        if (Body is null && DynamicHeaders.Count == 0)
        {
            result.ReturnSpec = Spec;
        }
        else
        {
            result.Reply = Render(ctx);
        }

        return Verdict;
    }

    private HttpReply Render(SampleContext ctx) => Render(Spec, Body, DynamicHeaders, ctx);

    /// <summary>
    /// A reply with log-format parts (an `http-request return` or an `http-error` page): built for this request (it
    /// allocates, as answers made by rules are rare).
    /// </summary>
    public static HttpReply Render(HttpReturnRule spec, LogFormat? body, IReadOnlyList<(string Name, LogFormat Value)> dynamicHeaders, SampleContext ctx)
    {
        var headers = new List<KeyValuePair<string, string>>(spec.Headers);
        var bytes = body is null ? spec.Body : RenderToBytes(ctx, body);
        foreach (var (name, value) in dynamicHeaders)
        {
            headers.Add(new(name, Encoding.Latin1.GetString(RenderToBytes(ctx, value))));
        }

        // As HAProxy writes a reply: the `hdr` fields, `content-length`, then `content-type`.
        var contentLengthAt = headers.Count;
        if (spec.ContentType is { } type && bytes.Length > 0)
        {
            headers.Add(new("content-type", type));
        }

        return new HttpReply(spec.Status, null, headers, bytes, contentLengthAt);
    }

    private static byte[] RenderToBytes(SampleContext ctx, LogFormat format)
    {
        var output = ctx.FormatOutput;
        output.ResetWrittenCount();
        format.Render(ctx, output);
        return output.WrittenSpan.ToArray();
    }
}

/// <summary>
/// `redirect location|prefix|scheme TARGET [code N] [drop-query] [append-slash] [set-cookie NAME[=VALUE]]
/// [clear-cookie NAME]`: answers with a redirection built from the request, as HAProxy does (302 by default,
/// `Cache-Control: no-cache` except for 301).
/// </summary>
internal sealed class RedirectAction : HttpAction
{
    public enum Kind : byte
    {
        Location,
        Prefix,
        Scheme,
    }

    private readonly Kind _kind;
    private readonly LogFormat _target;
    private readonly int _code;
    private readonly bool _dropQuery;
    private readonly bool _appendSlash;
    private readonly string? _cookie;

    public RedirectAction(Kind kind, LogFormat target, int code, bool dropQuery, bool appendSlash, string? cookie)
    {
        _kind = kind;
        _target = target;
        _code = code;
        _dropQuery = dropQuery;
        _appendSlash = appendSlash;
        _cookie = cookie;
    }

    public override bool IsFinal => true;

    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        var output = ctx.FormatOutput;
        output.ResetWrittenCount();
        _target.Render(ctx, output);
        var request = ctx.Request;
        if (_kind != Kind.Location && request is not null)
        {
            if (_kind == Kind.Scheme)
            {
                output.Write("://"u8);
                var host = request.Headers.IndexOf("host"u8);
                if (host >= 0)
                {
                    output.Write(request.Headers.Value(host));
                }
            }
            else if (output.WrittenCount == 1 && output.WrittenSpan[0] == '/')
            {
                // A prefix of "/" keeps the path as it is rather than doubling its slash.
                output.ResetWrittenCount();
            }

            // HAProxy appends the slash to what it copied: after the query unless drop-query removed it.
            var pathAndQuery = MessageSlices.PathAndQuery(request.Target);
            var question = pathAndQuery.IndexOf((byte)'?');
            var copied = _dropQuery && question >= 0 ? pathAndQuery[..question] : pathAndQuery;
            output.Write(copied);
            if (_appendSlash && (copied.IsEmpty || copied[^1] != '/'))
            {
                output.Write("/"u8);
            }
        }

        var headers = new List<KeyValuePair<string, string>>
        {
            new("location", Encoding.Latin1.GetString(output.WrittenSpan)),
        };
        // HAProxy marks only the temporary redirections as not cacheable.
        if (_code is 302 or 303 or 307)
        {
            headers.Add(new("cache-control", "no-cache"));
        }

        if (_cookie is not null)
        {
            headers.Add(new("set-cookie", _cookie));
        }

        result.Status = _code;
        result.Reply = new HttpReply(_code, null, headers, []);
        return RuleVerdict.Reply;
    }
}

/// <summary>`auth [realm R]`: 401 (or 407 for a request to a proxy) with a Basic challenge.</summary>
internal sealed class AuthAction(string realm) : HttpAction
{
    public override bool IsFinal => true;

    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        var proxy = ctx.Request is { } request && !request.Target.IsEmpty && request.Target[0] != '/';
        result.Status = proxy ? 407 : 401;
        result.AuthRealm = realm;
        result.IsDenial = true;
        return RuleVerdict.Reply;
    }
}

/// <summary>`set-header` and `add-header NAME FMT`: the value is rendered first, so it may read the field it replaces.</summary>
internal sealed class SetHeaderAction(byte[] name, LogFormat value, bool replace) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        var output = ctx.FormatOutput;
        output.ResetWrittenCount();
        value.Render(ctx, output);
        if (replace)
        {
            message.Headers.RemoveAll(name);
        }

        message.Headers.Add(name, output.WrittenSpan);
        return RuleVerdict.Continue;
    }
}

/// <summary>
/// `http-request early-hint NAME FMT`: a field of the 103 (Early Hints) response sent before the final one, RFC 8297.
/// HAProxy sends none to an HTTP/1.0 client.
/// </summary>
internal sealed class EarlyHintAction(byte[] name, LogFormat value) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        if (message is HttpRequestHead { Version: Messages.HttpVersion.Http10 })
        {
            return RuleVerdict.Continue;
        }

        var output = ctx.FormatOutput;
        output.ResetWrittenCount();
        value.Render(ctx, output);
        var hints = result.EarlyHints;
        if (!result.EarlyHintsPending)
        {
            hints.Reset();
            hints.Status = 103;
            result.EarlyHintsPending = true;
        }

        hints.Headers.Add(name, output.WrittenSpan);
        return RuleVerdict.Continue;
    }
}

/// <summary>`del-header NAME [-m str|beg|end|sub|reg]`: removes the fields whose name matches.</summary>
internal sealed class DeleteHeaderAction(byte[] name, Acls.MatchMethod method, Regex? regex) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        var headers = message.Headers;
        if (method == Acls.MatchMethod.Str)
        {
            headers.RemoveAll(name);
            return RuleVerdict.Continue;
        }

        for (var i = 0; i < headers.SlotCount; i++)
        {
            if (!headers.IsRemoved(i) && NameMatches(headers.Name(i)))
            {
                headers.Remove(i);
            }
        }

        return RuleVerdict.Continue;
    }

    private bool NameMatches(ReadOnlySpan<byte> field) => method switch
    {
        Acls.MatchMethod.Beg => field.Length >= name.Length && Ascii.EqualsIgnoreCase(field[..name.Length], name),
        Acls.MatchMethod.End => field.Length >= name.Length && Ascii.EqualsIgnoreCase(field[^name.Length..], name),
        Acls.MatchMethod.Sub => Encoding.Latin1.GetString(field).Contains(Encoding.Latin1.GetString(name), StringComparison.OrdinalIgnoreCase),
        // HAProxy's names are lower case by the time rules see them: the regex reads them so.
        Acls.MatchMethod.Reg => regex!.IsMatch(Encoding.Latin1.GetString(field).ToLowerInvariant()),
        _ => Ascii.EqualsIgnoreCase(field, name),
    };
}

/// <summary>
/// `replace-header NAME REGEX FMT` (each whole field value) and `replace-value NAME REGEX FMT` (each
/// comma-separated value): a value the regex matches becomes the format, with `\N` replaced by the Nth group.
/// </summary>
internal sealed class ReplaceHeaderAction(byte[] name, Regex regex, LogFormat replacement, bool perValue) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        var output = ctx.FormatOutput;
        output.ResetWrittenCount();
        replacement.Render(ctx, output);
        var template = Encoding.Latin1.GetString(output.WrittenSpan);
        var headers = message.Headers;
        var count = headers.SlotCount;
        List<(int Slot, string Value)>? changes = null;
        for (var slot = headers.IndexOf(name); slot >= 0 && slot < count; slot = headers.IndexOf(name, slot + 1))
        {
            var value = Encoding.Latin1.GetString(headers.Value(slot));
            string? changed;
            if (perValue)
            {
                var parts = value.Split(',');
                var any = false;
                for (var i = 0; i < parts.Length; i++)
                {
                    var part = parts[i].Trim();
                    if (Substitute(part, template) is { } replaced)
                    {
                        parts[i] = replaced;
                        any = true;
                    }
                    else
                    {
                        parts[i] = part;
                    }
                }

                changed = any ? string.Join(",", parts) : null;
            }
            else
            {
                changed = Substitute(value, template);
            }

            if (changed is not null)
            {
                (changes ??= []).Add((slot, changed));
            }
        }

        if (changes is not null)
        {
            ReplaceInPlace(headers, changes);
        }

        return RuleVerdict.Continue;
    }

    /// <summary>
    /// Fields keep their place, as in HAProxy: the list only appends, so the fields from the first changed one
    /// on are taken out and added back in order with their new values.
    /// </summary>
    private static void ReplaceInPlace(HttpHeaderList headers, List<(int Slot, string Value)> changes)
    {
        var count = headers.SlotCount;
        var fields = new List<(string Name, string Value)>();
        var next = 0;
        for (var slot = changes[0].Slot; slot < count; slot++)
        {
            if (headers.IsRemoved(slot))
            {
                continue;
            }

            var value = next < changes.Count && changes[next].Slot == slot ? changes[next++].Value : Encoding.Latin1.GetString(headers.Value(slot));
            fields.Add((Encoding.Latin1.GetString(headers.Name(slot)), value));
            headers.Remove(slot);
        }

        foreach (var (fieldName, value) in fields)
        {
            headers.Add(fieldName, value);
        }
    }

    private string? Substitute(string value, string template)
    {
        var match = regex.Match(value);
        if (!match.Success)
        {
            return null;
        }

        var builder = new StringBuilder(template.Length + value.Length);
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '\\' && i + 1 < template.Length && char.IsAsciiDigit(template[i + 1]))
            {
                var group = template[++i] - '0';
                if (group < match.Groups.Count)
                {
                    builder.Append(match.Groups[group].Value);
                }
            }
            else
            {
                builder.Append(template[i]);
            }
        }

        return builder.ToString();
    }
}

/// <summary>Which part of the request line `set-path`, `set-pathq`, `set-query`, `set-uri` and `set-method` change.</summary>
internal enum RequestLinePart : byte
{
    Method,
    Path,
    PathAndQuery,
    Query,
    Uri,
}

/// <summary>Rewrites a part of the request line with a log-format.</summary>
internal sealed class SetRequestLineAction(RequestLinePart part, LogFormat value) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        if (message is not HttpRequestHead request)
        {
            return RuleVerdict.Continue;
        }

        var output = ctx.FormatOutput;
        output.ResetWrittenCount();
        value.Render(ctx, output);
        var rendered = output.WrittenSpan;
        if (part == RequestLinePart.Method)
        {
            request.SetMethod(rendered);
            return RuleVerdict.Continue;
        }

        if (part == RequestLinePart.Uri)
        {
            request.SetTarget(rendered);
            return RuleVerdict.Continue;
        }

        // Target = prefix (scheme and authority of an absolute form) + path + ["?" query].
        var target = request.Target;
        var pathAndQuery = MessageSlices.PathAndQuery(target);
        var prefixLength = target.Length - pathAndQuery.Length;
        var question = pathAndQuery.IndexOf((byte)'?');
        var path = question < 0 ? pathAndQuery : pathAndQuery[..question];
        var query = question < 0 ? default : pathAndQuery[question..];
        var rented = ArrayPool<byte>.Shared.Rent(target.Length + rendered.Length + 1);
        var length = 0;
        void Write(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(rented.AsSpan(length));
            length += bytes.Length;
        }

        Write(target[..prefixLength]);
        switch (part)
        {
            case RequestLinePart.Path:
                Write(rendered);
                Write(query);
                break;
            case RequestLinePart.PathAndQuery:
                Write(rendered);
                break;
            default:
                Write(path);
                Write("?"u8);
                Write(rendered);
                break;
        }

        request.SetTarget(rented.AsSpan(0, length));
        ArrayPool<byte>.Shared.Return(rented);
        return RuleVerdict.Continue;
    }
}

/// <summary>`set-status CODE [reason TEXT]` on a response.</summary>
internal sealed class SetStatusAction(int status, byte[]? reason) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        if (message is HttpResponseHead response)
        {
            response.Status = status;
            response.SetReason(reason ?? Mux.Http1.ReasonPhrases.For(status));
        }

        return RuleVerdict.Continue;
    }
                // As HAProxy, the query is always introduced by '?', even when empty or starting with one.
}

/// <summary>
/// `do-resolve(VAR,RESOLVERS[,ipv4|ipv6]) EXPR`: the transaction pauses while the name the expression gives is
/// resolved by the section's name servers, then VAR holds its address (unset when the resolution fails or the
/// expression gives nothing), for a later `set-dst var(...)`.
/// </summary>
internal sealed class DoResolveAction(VariableName variable, string resolversName, bool preferIpv4, SampleExpression expression) : HttpAction
{
    public VariableName Variable { get; } = variable;

    public string ResolversName { get; } = resolversName;

    public bool PreferIpv4 { get; } = preferIpv4;

    /// <summary>The section, found when the configuration is built.</summary>
    public ResolversConfig? Resolvers { get; set; }

    /// <summary>The name to resolve: the expression's value as text; false when it has none or an empty one.</summary>
    public bool TryName(SampleContext ctx, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name)
    {
        name = expression.TryEvaluate(ctx, out var value) ? value.ToString() : null;
        return name is { Length: > 0 };
    }

    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        if (!TryName(ctx, out var name))
        {
            return RuleVerdict.Continue;
        }

        result.Resolve = this;
        result.ResolveName = name;
        return RuleVerdict.Resolve;
    }
}

/// <summary>`set-var(NAME) EXPR` and `unset-var(NAME)`.</summary>
internal sealed class SetVariableAction(VariableName variable, SampleExpression? expression) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        if (expression is null)
        {
            ctx.Variables.Unset(variable);
        }
        else if (expression.TryEvaluate(ctx, out var value))
        {
            ctx.Variables.Set(variable, value);
        }

        return RuleVerdict.Continue;
    }
}

/// <summary>`set-var-fmt(NAME) FORMAT`: the variable gets the rendered log-format text.</summary>
internal sealed class SetVariableFormatAction(VariableName variable, Logging.LogFormat format) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        VariableFormat.Set(ctx, variable, format);
        return RuleVerdict.Continue;
    }
}

/// <summary>The one place that renders a `set-var-fmt` text into its variable, for every rule set.</summary>
internal static class VariableFormat
{
    public static void Set(SampleContext ctx, VariableName variable, Logging.LogFormat format)
    {
        var output = ctx.FormatOutput;
        output.ResetWrittenCount();
        format.Render(ctx, output);
        if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(output.WrittenMemory, out var text))
        {
            ctx.Variables.Set(variable, Sample.FromString(text.Array!, text.Offset, text.Count));
        }
    }
}

/// <summary>`set-log-level LEVEL|silent`.</summary>
internal sealed class SetLogLevelAction(string level) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        ctx.LogLevel = level;
        return RuleVerdict.Continue;
    }
}

/// <summary>
/// `wait-for-body time T [at-least BYTES]`: the transaction buffers the body before the next rules, as
/// `option http-buffer-request` does (up to a buffer), for at most T (408 after it, as HAProxy); with `at-least`
/// the wait ends once that many bytes of payload are in.
/// </summary>
internal sealed class WaitForBodyAction(long timeMs, long atLeast) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        if (!message.HasBody)
        {
            return RuleVerdict.Continue;
        }

        result.WaitForBodyMs = timeMs;
        result.WaitForBodyAtLeast = atLeast;
        return RuleVerdict.WaitForBody;
    }
}

/// <summary>`http-request capture EXPR len N|id N` and `http-response capture EXPR id N`: keeps a value for the logs.</summary>
internal sealed class CaptureAction(SampleExpression expression, int slot, bool response) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        if (expression.TryEvaluate(ctx, out var sample) && SampleCasts.TryCast(ctx, ref sample, SampleType.Str))
        {
            ctx.Captures.Set(response, slot, sample.Bytes);
        }

        return RuleVerdict.Continue;
    }
}
