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
}
