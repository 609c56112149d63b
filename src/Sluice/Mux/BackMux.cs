using Sluice.Config.Model;

namespace Sluice.Mux;

/// <summary>The protocol spoken to a server.</summary>
internal enum BackProtocol
{
    Http1 = 0,
    Http2 = 1,
}

/// <summary>The choice of the back multiplexer, in one place: `proto` on the server line, else the ALPN result, else HTTP/1.1.</summary>
internal static class BackMux
{
    /// <param name="alpn">The protocol TLS negotiated with the server, or null (cleartext, or no ALPN).</param>
    public static BackProtocol Choose(ServerConfig server, string? alpn) => server.Proto switch
    {
        "h2" => BackProtocol.Http2,
        "h1" => BackProtocol.Http1,
        _ => alpn == "h2" ? BackProtocol.Http2 : BackProtocol.Http1,
    };

    /// <summary>
    /// The protocol of a websocket stream (HAProxy's srv_get_ws_proto): `ws h1` or `ws h2` decide, except on a TLS
    /// server whose `alpn` chooses (without `proto`), where `ws` only narrows what is offered
    /// (<see cref="Tls.TlsConnector.ForWebSockets"/>) and the negotiated protocol decides.
    /// </summary>
    public static BackProtocol ChooseForWebSocket(ServerConfig server, string? alpn) =>
        server.WebSocket == WebSocketProtocol.Auto || (server.Proto is null && server.Tls is { Settings.Alpn: not null })
            ? Choose(server, alpn)
            : server.WebSocket == WebSocketProtocol.H2 ? BackProtocol.Http2 : BackProtocol.Http1;

    /// <summary>
    /// True when `ws` makes websocket streams differ from the server's other requests (another protocol, or another
    /// ALPN offer): they then go on connections of their own, opened for them and shared with nothing.
    /// </summary>
    public static bool WebSocketsNeedOwnConnection(ServerConfig server) =>
        (server.Tls is { } tls && tls.ForWebSockets != tls)
        || (server.WebSocket != WebSocketProtocol.Auto && (server.Proto is not null || server.Tls is not { Settings.Alpn: not null })
            && ChooseForWebSocket(server, null) != Choose(server, null));
}
