using Sluice.Config.Model;
using Sluice.Stats;

namespace Sluice.Listeners;

/// <summary>
/// What the whole process accepts: the rates of new connections, sessions and TLS connections with their global
/// limits (`maxconnrate`, `maxsessrate`, `maxsslrate`), and the TLS client connections in progress with theirs
/// (`maxsslconn`). One per running configuration, shared by every listener; `show info` reads it.
/// </summary>
internal sealed class ProcessAcceptLimits
{
    private int _currentTls;
    private long _totalTls;
    private int _maxConnRate;
    private int _maxSessRate;
    private int _maxSslRate;

    public ProcessAcceptLimits(GlobalConfig global)
    {
        _maxConnRate = global.MaxConnRate;
        _maxSessRate = global.MaxSessRate;
        _maxSslRate = global.MaxSslRate;
        MaxSslConn = global.MaxSslConn;
        TlsSlots = ConnectionLimit.Create(global.MaxSslConn);
    }

    // The rate limits change at run time (`set rate-limit ... global`), with effect from the next accept.
    public int MaxConnRate
    {
        get => Volatile.Read(ref _maxConnRate);
        set => Volatile.Write(ref _maxConnRate, value);
    }

    public int MaxSessRate
    {
        get => Volatile.Read(ref _maxSessRate);
        set => Volatile.Write(ref _maxSessRate, value);
    }

    public int MaxSslRate
    {
        get => Volatile.Read(ref _maxSslRate);
        set => Volatile.Write(ref _maxSslRate, value);
    }

    public int MaxSslConn { get; }

    /// <summary>The `maxsslconn` slots a listener with `ssl` takes before it accepts; null when not limited.</summary>
    public ConnectionLimit? TlsSlots { get; }

    public RateCounter Connections { get; } = new();

    public RateCounter Sessions { get; } = new();

    public RateCounter TlsConnections { get; } = new();

    public int CurrentTlsConnections => Volatile.Read(ref _currentTls);

    public long TotalTlsConnections => Interlocked.Read(ref _totalTls);

    /// <summary>
    /// Completes when every process-wide rate that applies to a listener (with `ssl` or not) is below its limit:
    /// until then the listener does not accept, and new connections wait in the kernel's backlog.
    /// </summary>
    public async ValueTask WaitForRatesAsync(bool tls, CancellationToken cancellationToken)
    {
        await AcceptPacing.WaitBelowAsync(Connections, MaxConnRate, cancellationToken).ConfigureAwait(false);
        await AcceptPacing.WaitBelowAsync(Sessions, MaxSessRate, cancellationToken).ConfigureAwait(false);
        if (tls)
        {
            await AcceptPacing.WaitBelowAsync(TlsConnections, MaxSslRate, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A connection was accepted; HAProxy counts the process's session at the same moment.</summary>
    public void OnAccepted(long nowMs, bool tls)
    {
        Connections.Add(nowMs);
        Sessions.Add(nowMs);
        if (tls)
        {
            TlsConnections.Add(nowMs);
            Interlocked.Increment(ref _currentTls);
            Interlocked.Increment(ref _totalTls);
        }
    }

    /// <summary>`clear counters`: the highest rates start again from zero.</summary>
    public void ClearMaxima()
    {
        Connections.ClearMax();
        Sessions.ClearMax();
        TlsConnections.ClearMax();
    }

    /// <summary>A TLS client connection ended (its slot, when `maxsslconn` is set, is the listener's to give back).</summary>
    public void OnTlsEnded() => Interlocked.Decrement(ref _currentTls);
}
