using System.Text;
using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.Messages;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;

namespace Sluice.Stats;

/// <summary>`http-request use-service prometheus-exporter`: answers with the Prometheus exposition of the stats.</summary>
internal sealed class PrometheusServiceAction : HttpAction
{
    public override bool IsFinal => true;

    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        if (StatsHub.Current is not { } hub || message is not HttpRequestHead request)
        {
            result.Status = 503;
            return RuleVerdict.Reply;
        }

        var target = Encoding.Latin1.GetString(request.Target);
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var (scopes, noMaint) = PrometheusExporter.ParseQuery(question < 0 ? default : target.AsSpan(question + 1));
        var body = Encoding.UTF8.GetBytes(PrometheusExporter.Render(hub, scopes, noMaint));
        result.Reply = new HttpReply(200, null, [new("cache-control", "no-cache"), new("content-type", PrometheusExporter.ContentType)], body);
        StatsServices.CountIntercepted(hub, ctx);
        return RuleVerdict.Reply;
    }
}

/// <summary>
/// The first of the two rules `stats enable` appends to a proxy's `http-request` rules: an admin form posted to
/// the stats URI has its body buffered before the page rule reads it.
/// </summary>
internal sealed class StatsBodyAction(StatsPageConfig page) : HttpAction
{
    private readonly byte[] _uri = StatsServices.Latin1(page.Uri);

    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result) =>
        message is HttpRequestHead { Method: Messages.HttpMethod.Post } request && message.HasBody && request.Target.StartsWith(_uri)
            ? RuleVerdict.WaitForBody
            : RuleVerdict.Continue;
}

/// <summary>
/// The stats page rule: a request whose URI starts with `stats uri` is answered by the proxy, after `stats auth`
/// (401 with the realm's challenge otherwise): the HTML page, or `;csv`, `;json`, `;typed`; `;norefresh`,
/// `;up` and `;no-maint` change what the page shows. With `stats admin` a POST applies the form's action to
/// the checked servers and redirects back with its outcome (`;st=DONE`, ...), as HAProxy does.
/// </summary>
internal sealed class StatsPageAction(StatsPageConfig page, string proxyName) : HttpAction
{
    private const int MaxFormBytes = 16384;
    private readonly byte[] _uri = StatsServices.Latin1(page.Uri);

    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        if (message is not HttpRequestHead request || !request.Target.StartsWith(_uri) || StatsHub.Current is not { } hub)
        {
            return RuleVerdict.Continue;
        }

        if (page.HttpRequestRules.Count > 0)
        {
            // The first rule that applies decides: allow serves the page, deny and auth answer instead.
            var verdict = HttpRuleRunner.Run(page.HttpRequestRules, 0, ctx, message, result, out _);
            if (verdict is not (RuleVerdict.Continue or RuleVerdict.Allow))
            {
                return verdict;
            }
        }
        else if (page.Users is { } users)
        {
            var index = request.Headers.IndexOf("authorization"u8);
            Span<byte> decoded = stackalloc byte[512];
            if (index < 0 || request.Headers.Value(index).Length > 680 || !users.Check(request.Headers.Value(index), decoded, out _))
            {
                result.Status = 401;
                result.AuthRealm = page.Realm;
                return RuleVerdict.Reply;
            }
        }

        StatsServices.CountIntercepted(hub, ctx);
        var admin = page.Admin?.Evaluate(ctx) == true;
        var rest = Encoding.Latin1.GetString(request.Target[_uri.Length..]);
        if (request.Method == Messages.HttpMethod.Post)
        {
            var status = admin ? ApplyForm(hub, ctx) : "DENY";
            result.Reply = new HttpReply(303, null, [new("cache-control", "no-cache"), new("content-type", "text/plain"), new("location", string.Concat(page.Uri, ";st=", status))], []);
            return RuleVerdict.Reply;
        }

        var options = rest.Split(';', StringSplitOptions.RemoveEmptyEntries);
        string? shown = null;
        foreach (var option in options)
        {
            if (option.StartsWith("st=", StringComparison.Ordinal))
            {
                shown = option[3..];
            }
        }

        var scope = Scope(request);
        if (Array.IndexOf(options, "csv") >= 0 || Array.IndexOf(options, "json") >= 0 || Array.IndexOf(options, "typed") >= 0)
        {
            var rows = StatsRows.Build(hub, page.ShowLegends, scope);
            var text = new StringBuilder(8192);
            var contentType = "text/plain";
            if (Array.IndexOf(options, "json") >= 0)
            {
                StatsCsv.WriteJson(text, rows);
                contentType = "application/json";
            }
            else if (Array.IndexOf(options, "typed") >= 0)
            {
                StatsCsv.WriteTyped(text, rows);
            }
            else
            {
                StatsCsv.Write(text, rows);
            }

            result.Reply = new HttpReply(200, null, [new("cache-control", "no-cache"), new("content-type", contentType)], Encoding.UTF8.GetBytes(text.ToString()));
            return RuleVerdict.Reply;
        }

        var refresh = page.Refresh is not null && Array.IndexOf(options, "norefresh") < 0;
        var html = StatsPage.Render(hub, new StatsPage.Options(page, page.Uri, admin, refresh, Array.IndexOf(options, "up") >= 0, Array.IndexOf(options, "no-maint") >= 0, shown), scope);
        var headers = new List<KeyValuePair<string, string>> { new("cache-control", "no-cache"), new("content-type", "text/html") };
        if (refresh)
        {
            headers.Add(new("refresh", ((int)page.Refresh!.Value.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        result.Reply = new HttpReply(200, null, headers, Encoding.UTF8.GetBytes(html));
        return RuleVerdict.Reply;
    }

    /// <summary>`stats scope` names, with `.` meaning this proxy; null for every proxy.</summary>
    private string[]? Scope(HttpRequestHead request) => page.Scope.Count == 0
        ? null
        : [.. page.Scope.Select(s => s == "." ? proxyName : s)];

    /// <summary>Applies `b=BACKEND&amp;s=SERVER...&amp;action=ready|drain|maint|shutdown`; returns HAProxy's outcome code.</summary>
    private static string ApplyForm(StatsHub hub, SampleContext ctx)
    {
        if (ctx.RequestBody is not { } body)
        {
            return "ERRP";
        }

        var buffer = new byte[MaxFormBytes];
        var length = body.CopyBufferedBody(buffer);
        if (length < 0)
        {
            return "ERRP";
        }

        if (length >= MaxFormBytes)
        {
            return "EXCD";
        }

        string? backendName = null;
        string? action = null;
        var servers = new List<string>();
        foreach (var pair in Encoding.Latin1.GetString(buffer, 0, length).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            switch (key)
            {
                case "b":
                    backendName = value;
                    break;
                case "action":
                    action = value;
                    break;
                case "s":
                    servers.Add(value);
                    break;
            }
        }

        if (backendName is null || hub.FindBackend(backendName.TrimStart('#')) is not { } backend || action is not ("ready" or "drain" or "maint" or "shutdown"))
        {
            return "ERRP";
        }

        if (servers.Count == 0)
        {
            return "NONE";
        }

        var done = 0;
        foreach (var name in servers)
        {
            ServerState? server = null;
            foreach (var candidate in backend.Servers)
            {
                if (candidate.Name == name)
                {
                    server = candidate;
                }
            }

            if (server is null)
            {
                continue;
            }

            done++;
            switch (action)
            {
                case "ready":
                    server.AdminState = ServerAdminState.Ready;
                    break;
                case "drain":
                    server.AdminState = ServerAdminState.Drain;
                    break;
                case "maint":
                    server.AdminState = ServerAdminState.Maint;
                    break;
                default:
                    foreach (var session in hub.Sessions?.Invoke() ?? [])
                    {
                        var info = session.Info;
                        if (info.Backend == backend.Name && info.Server == server.Name)
                        {
                            session.Kill();
                        }
                    }

                    break;
            }
        }

        return done == servers.Count ? "DONE" : done == 0 ? "ERRP" : "PART";
    }
}

internal static class StatsServices
{
    public static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    /// <summary>A request the proxy answered itself counts as intercepted on its frontend.</summary>
    public static void CountIntercepted(StatsHub hub, SampleContext ctx)
    {
        var name = Encoding.Latin1.GetString(ctx.FrontendName);
        hub.FindFrontend(name)?.Counters.CountIntercepted();
    }

    /// <summary>
    /// Where the stats rules start in a rule set, at or after <paramref name="from"/>; -1 when there are none. An
    /// `allow` ends the proxy's own rules but not the stats page, which HAProxy handles after them.
    /// </summary>
    public static int FirstStatsRule(IReadOnlyList<HttpRule> rules, int from)
    {
        for (var i = from; i < rules.Count; i++)
        {
            if (rules[i].Action is StatsBodyAction)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The rules `stats enable` appends to a proxy's `http-request` rules; none when the page is off.</summary>
    public static HttpRule[] Rules(StatsPageConfig page, string proxyName, string location)
    {
        if (!page.Enabled)
        {
            return [];
        }

        return
        [
            new HttpRule(new StatsBodyAction(page), null, location) { Keyword = "stats" },
            new HttpRule(new StatsPageAction(page, proxyName), null, location) { Keyword = "stats" },
        ];
    }
}
