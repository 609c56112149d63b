using System.Net;
using System.Text;
using Sluice.Logging;
using Sluice.Messages;
using Sluice.Rules.Acls;
using Sluice.Rules.Samples;

namespace Sluice.Tests.Rules;

/// <summary>
/// Builds message heads and a <see cref="SampleContext"/> for rule tests, and compiles and runs expressions,
/// ACLs and log-formats the way the configuration does.
/// </summary>
internal static class RuleFixture
{
    /// <summary>A request head; each header is written "Name: value".</summary>
    public static HttpRequestHead Request(string method, string target, params string[] headers)
    {
        var request = new HttpRequestHead();
        request.SetMethod(Encoding.Latin1.GetBytes(method));
        request.SetTarget(Encoding.Latin1.GetBytes(target));
        AddHeaders(request, headers);
        return request;
    }

    public static HttpResponseHead Response(int status, params string[] headers)
    {
        var response = new HttpResponseHead { Status = status };
        AddHeaders(response, headers);
        return response;
    }

    /// <summary>A context as a frontend `fe` sees a client 192.0.2.10:51000 connected to 127.0.0.1:8080.</summary>
    public static SampleContext Context(HttpRequestHead? request = null, HttpResponseHead? response = null) => new()
    {
        Request = request,
        Response = response,
        ClientEndPoint = new IPEndPoint(IPAddress.Parse("192.0.2.10"), 51000),
        LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 8080),
        FrontendName = "fe"u8.ToArray(),
        FrontendId = 3,
    };

    public static SampleExpression Compile(string expression, bool forAcl = false)
    {
        var compiled = SampleExpressionParser.Parse(expression, forAcl, out var error);
        Assert.True(compiled is not null, $"'{expression}' does not compile: {error}");
        return compiled!;
    }

    /// <summary>The value of an expression as text (integers in decimal), or null when it has none.</summary>
    public static string? Evaluate(SampleContext ctx, string expression)
    {
        ctx.ResetScratch();
        return Compile(expression).TryEvaluate(ctx, out var sample) ? sample.ToString() : null;
    }

    /// <summary>Every value an ACL would try, in order.</summary>
    public static List<string> AllValues(SampleContext ctx, string expression)
    {
        ctx.ResetScratch();
        var compiled = Compile(expression, forAcl: true);
        var values = new List<string>();
        long state = 0;
        while (compiled.TryNext(ctx, ref state, out var sample))
        {
            values.Add(sample.ToString());
        }

        return values;
    }

    /// <summary>Compiles the words of an ACL (after its name) as `acl` or `{ }` read them.</summary>
    public static AclEntry ParseAcl(params string[] words)
    {
        var entry = AclParser.Parse(words, 0, words.Length, [], out var error);
        Assert.True(entry is not null, $"'{string.Join(' ', words)}' does not compile: {error}");
        return entry!;
    }

    /// <summary>The error an ACL's words give, or null when they compile.</summary>
    public static string? AclError(params string[] words) =>
        AclParser.Parse(words, 0, words.Length, [], out var error) is null ? error : null;

    public static bool Matches(SampleContext ctx, params string[] words)
    {
        ctx.ResetScratch();
        return ParseAcl(words).Evaluate(ctx);
    }

    /// <summary>Splits on spaces: for ACL lines whose patterns hold none.</summary>
    public static string[] Words(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static LogFormat Format(string text, RuleSite site)
    {
        var format = LogFormat.Parse(text, site, out var error);
        Assert.True(format is not null, $"'{text}' does not compile: {error}");
        return format!;
    }

    public static string Render(SampleContext ctx, LogFormat format)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        format.Render(ctx, output);
        return Encoding.Latin1.GetString(output.WrittenSpan);
    }

    /// <summary>The header fields in order, "name: value", removed ones left out.</summary>
    public static List<string> Fields(HttpMessageHead message)
    {
        var headers = message.Headers;
        var fields = new List<string>();
        for (var i = 0; i < headers.SlotCount; i++)
        {
            if (!headers.IsRemoved(i))
            {
                fields.Add($"{Encoding.Latin1.GetString(headers.Name(i))}: {Encoding.Latin1.GetString(headers.Value(i))}");
            }
        }

        return fields;
    }

    private static void AddHeaders(HttpMessageHead message, string[] headers)
    {
        foreach (var header in headers)
        {
            var colon = header.IndexOf(':', StringComparison.Ordinal);
            message.Headers.Add(header[..colon], header[(colon + 1)..].TrimStart(' '));
        }
    }
}
