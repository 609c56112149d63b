using System.Net;
using Sluice.Transactions;

namespace Sluice.Logging;

/// <summary>
/// What a transaction records for its log line (configuration.txt §8.2.3, §8.4): dates, timers, outcome, byte
/// counts and connection counts. Plain fields, owned by one transaction and reset for each request, so that
/// recording costs no allocation. Timers are milliseconds, -1 when the step was not reached.
/// </summary>
internal sealed class LogFields
{
    /// <summary>The clock (milliseconds of the heartbeat clock) when the connection was accepted, or the previous request ended.</summary>
    public long AcceptMs;

    /// <summary>The wall clock at <see cref="AcceptMs"/>, Unix milliseconds: `%t`.</summary>
    public long AcceptUnixMs;

    /// <summary>Handshake time: accept to the connection being ready (TLS); 0 for a request after the first.</summary>
    public long Th;

    /// <summary>Idle time before the first byte of the request.</summary>
    public long Ti;

    /// <summary>Time to receive the whole request head, from its first byte.</summary>
    public long TR;

    public long Tw;
    public long Tc;
    public long Tr;

    /// <summary>Active time: from the first byte of the request to the end (or to the log line with logasap).</summary>
    public long Ta;

    /// <summary>Total time from accept to the end.</summary>
    public long Tt;

    public int Status;

    /// <summary>Bytes sent to the client (HAProxy's bytes_read, `%B`).</summary>
    public long BytesOut;

    /// <summary>Bytes received from the client (`%U`).</summary>
    public long BytesIn;

    public TerminationCause Cause;
    public TerminationPhase Phase;
    public int Retries;
    public bool Redispatched;

    public int ActConn;
    public int FeConn;
    public int BeConn;
    public int SrvConn;
    public int SrvQueue;
    public int BackendQueue;

    /// <summary>The third and fourth characters of `%tsc`: the persistence cookie seen, the one set (`-` for none).</summary>
    public char PersistenceCookie = '-';
    public char SetCookie = '-';

    /// <summary>Mode tcp: the line follows the tcp rules (no HTTP fields).</summary>
    public bool Tcp;

    /// <summary>`option logasap` is on: byte and time counters get a `+` (HAProxy marks them by configuration, not by the moment the line is written).</summary>
    public bool Early;

    /// <summary>The local address of the server connection (`%bi:%bp`); null until recorded.</summary>
    public EndPoint? BackendLocalEndPoint;

    private static long s_requests;

    /// <summary>Counts a transaction of the process and returns its number (`%rt`, kept by <see cref="Rules.Samples.SampleContext.RequestNumber"/>).</summary>
    public static long NextRequestNumber() => Interlocked.Increment(ref s_requests) - 1;

    /// <summary>Time from accept to the end of the request head: Th + Ti + TR (`%Tq`), -1 when one is unknown.</summary>
    public long Tq => Th < 0 || Ti < 0 || TR < 0 ? -1 : Th + Ti + TR;

    /// <summary>Data transfer time: Tt - (Tq + Tw + Tc + Tr), -1 when one of them is unknown.</summary>
    public long Td => Tq < 0 || Tw < 0 || Tc < 0 || Tr < 0 ? -1 : Math.Max(0, Tt - (Tq + Tw + Tc + Tr));

    /// <summary>The wall clock when the request's first byte came (`%tr`), Unix milliseconds.</summary>
    public long RequestUnixMs => AcceptUnixMs + Math.Max(0, Th) + Math.Max(0, Ti);

    /// <summary>True when the transaction ended with an error (HAProxy's LW_ERR): a cause other than none, or a 5xx.</summary>
    public bool IsError => Cause != TerminationCause.None || Status >= 500;

    public void Reset()
    {
        AcceptMs = 0;
        AcceptUnixMs = 0;
        Th = 0;
        Ti = 0;
        TR = -1;
        Tw = -1;
        Tc = -1;
        Tr = -1;
        Ta = -1;
        Tt = -1;
        Status = -1;
        BytesOut = 0;
        BytesIn = 0;
        Cause = TerminationCause.None;
        Phase = TerminationPhase.None;
        Retries = 0;
        Redispatched = false;
        ActConn = 0;
        FeConn = 0;
        BeConn = 0;
        SrvConn = 0;
        SrvQueue = 0;
        BackendQueue = 0;
        PersistenceCookie = '-';
        SetCookie = '-';
        Tcp = false;
        Early = false;
        BackendLocalEndPoint = null;
    }
}
