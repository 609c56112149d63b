namespace Sluice.Config.Model;

/// <summary>
/// The `timeout *` values of one proxy, after defaults inheritance. A null value means
/// "not set", which HAProxy reads as infinite (and warns about for client/server/connect).
/// </summary>
internal sealed record TimeoutsConfig
{
    public TimeSpan? Client { get; init; }
    public TimeSpan? ClientFin { get; init; }
    public TimeSpan? ClientHandshake { get; init; }
    public TimeSpan? Server { get; init; }
    public TimeSpan? ServerFin { get; init; }
    public TimeSpan? Connect { get; init; }
    public TimeSpan? Queue { get; init; }
    public TimeSpan? Tunnel { get; init; }
    public TimeSpan? HttpRequest { get; init; }
    public TimeSpan? HttpKeepAlive { get; init; }
    public TimeSpan? Check { get; init; }
    public TimeSpan? Tarpit { get; init; }

    public static readonly TimeoutsConfig None = new();
}
