using Sluice.Config.Keywords;
using Sluice.Config.Model;

namespace Sluice.Config.Sections;

/// <summary>The proxy keywords that tune the TCP sockets of connections: keep-alive probes on either side.</summary>
internal static class SocketKeywordParsers
{
    /// <summary>`option tcpka|clitcpka|srvtcpka` (and `no option ...`): the sides this section has.</summary>
    public static void SetTcpKeepAlive(KeywordContext ctx, ProxySection section, bool client, bool server)
    {
        if (client && section.Kind != ProxyKinds.Backend)
        {
            section.ClientTcpKeepAlive = !ctx.Negated;
        }

        if (server && section.Kind != ProxyKinds.Frontend)
        {
            section.ServerTcpKeepAlive = !ctx.Negated;
        }
    }

    /// <summary>`clitcpka-cnt N`, `srvtcpka-cnt N`.</summary>
    public static void ParseKeepAliveCount(KeywordContext ctx, ProxySection section, bool client)
    {
        if (ctx.ArgumentCount < 1)
        {
            ctx.Alert($"'{ctx.Keyword}' expects an integer value");
            return;
        }

        if (!ValueParsers.TryParseInt(ctx.Argument(0), out var count))
        {
            var text = ctx.Argument(0) ?? string.Empty;
            var bad = text.FirstOrDefault(c => !char.IsAsciiDigit(c));
            ctx.Alert($"'{ctx.Keyword}' : unexpected character '{bad}' in integer value '{text}'");
            return;
        }

        Update(section, client, k => k with { Count = count });
    }

    /// <summary>`clitcpka-idle T`, `clitcpka-intvl T` and the server ones: a time in seconds unless a unit says otherwise.</summary>
    public static void ParseKeepAliveTime(KeywordContext ctx, ProxySection section, bool client, bool idle)
    {
        if (ctx.ArgumentCount < 1)
        {
            ctx.Alert($"'{ctx.Keyword}' expects an integer value");
            return;
        }

        var text = ctx.Argument(0) ?? string.Empty;
        var withUnit = text.Length > 0 && text.All(char.IsAsciiDigit) ? text + "s" : text;
        if (ValueParsers.ParseTime(withUnit, out var time) is { } error)
        {
            ctx.Alert(error.StartsWith("unexpected character", StringComparison.Ordinal)
                ? $"{error} in argument to <{ctx.Keyword}>."
                : $"'{ctx.Keyword}' : {error}.");
            return;
        }

        var seconds = (int)Math.Max(1, Math.Ceiling(time.TotalSeconds));
        Update(section, client, k => idle ? k with { IdleSeconds = seconds } : k with { IntervalSeconds = seconds });
    }

    private static void Update(ProxySection section, bool client, Func<TcpKeepAliveConfig, TcpKeepAliveConfig> change)
    {
        if (client)
        {
            section.ClientKeepAliveTuning = change(section.ClientKeepAliveTuning);
        }
        else
        {
            section.ServerKeepAliveTuning = change(section.ServerKeepAliveTuning);
        }
    }
}
