namespace Sluice.Stats;

/// <summary>
/// The traffic counters of one frontend, backend or server, as HAProxy's <c>fe_counters</c>/<c>be_counters</c>:
/// plain fields updated with <see cref="Interlocked"/> by every transaction, no lock, no allocation. What a
/// kind of proxy does not use stays 0 and is left empty in the CSV. Times are in milliseconds on the monotonic
/// clock (<see cref="Environment.TickCount64"/>). Reads are plain volatile reads: Sluice runs as a 64-bit process,
/// where 64-bit reads are atomic (Interlocked.Read would cost a locked instruction each).
/// </summary>
internal class TrafficCounters
{
    /// <summary>HAProxy's <c>TIME_STATS_SAMPLES</c>: averages cover about the last 1024 transactions.</summary>
    public const int TimeSamples = 1024;

    /// <summary>Upper bounds in milliseconds of the response-time histogram's buckets; the last one is +Inf.</summary>
    public static readonly long[] ResponseTimeBucketsMs = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    private int _current;
    private int _max;
    private long _total;
    private long _lastSessionMs;
    private long _bytesIn;
    private long _bytesOut;
    private long _deniedRequests;
    private long _deniedResponses;
    private long _deniedConnections;
    private long _deniedSessions;
    private long _requestErrors;
    private long _responseErrors;
    private long _requests;
    private long _clientAborts;
    private long _serverAborts;
    private long _intercepted;
    private long _internalErrors;
    private long _connections;
    private long _tlsNewSessions;
    private long _tlsResumedSessions;
    private long _tlsFailedHandshakes;
    private readonly long[] _responses = new long[6];
    private readonly long[] _responseTimeBuckets = new long[ResponseTimeBucketsMs.Length + 1];
    private long _responseTimeSumMs;
    private long _timedTransactions;
    private long _queueTimeSum;
    private long _connectTimeSum;
    private long _responseTimeSum;
    private long _totalTimeSum;
    private long _queueTimeMax;
    private long _connectTimeMax;
    private long _responseTimeMax;
    private long _totalTimeMax;
    private ErrorSnapshot? _lastRequestError;
    private ErrorSnapshot? _lastResponseError;
    /// <summary>Captured errors of the whole process, as HAProxy numbers them (`event #N`, `Total events captured`).</summary>
    private static int s_errorEvents;

    /// <summary>
    /// The counters this set adds up into as well: a listener's (`option socket-stats`) go into its frontend's, so
    /// that the frontend row stays the sum. Null for the frontend's own, backends and servers.
    /// </summary>
    public TrafficCounters? Parent { get; init; }

    public RateCounter SessionRate { get; } = new();

    public RateCounter RequestRate { get; } = new();

    public RateCounter ConnectionRate { get; } = new();

    /// <summary>Current sessions of a frontend (backends and servers keep theirs in their live state).</summary>
    public int CurrentSessions => Volatile.Read(ref _current);

    public int MaxSessions => Volatile.Read(ref _max);

    public long TotalSessions => Volatile.Read(ref _total);

    /// <summary>When the last session started (monotonic ms), 0 for never.</summary>
    public long LastSessionMs => Volatile.Read(ref _lastSessionMs);

    public long BytesIn => Volatile.Read(ref _bytesIn);

    public long BytesOut => Volatile.Read(ref _bytesOut);

    public long DeniedRequests => Volatile.Read(ref _deniedRequests);

    public long DeniedResponses => Volatile.Read(ref _deniedResponses);

    public long DeniedConnections => Volatile.Read(ref _deniedConnections);

    /// <summary>Sessions refused by `tcp-request session` rules (`dses`).</summary>
    public long DeniedSessions => Volatile.Read(ref _deniedSessions);

    public long RequestErrors => Volatile.Read(ref _requestErrors);

    public long ResponseErrors => Volatile.Read(ref _responseErrors);

    public long Requests => Volatile.Read(ref _requests);

    public long ClientAborts => Volatile.Read(ref _clientAborts);

    public long ServerAborts => Volatile.Read(ref _serverAborts);

    /// <summary>Requests the proxy answered itself: stats page, monitor URI, Prometheus exporter.</summary>
    public long Intercepted => Volatile.Read(ref _intercepted);

    public long InternalErrors => Volatile.Read(ref _internalErrors);

    /// <summary>Connections accepted by a frontend, before `tcp-request connection` rules (HAProxy's conn_tot).</summary>
    public long Connections => Volatile.Read(ref _connections);

    /// <summary>Responses by status class: 1xx, 2xx, 3xx, 4xx, 5xx, other.</summary>
    public long Responses(int statusClass) => Volatile.Read(ref _responses[statusClass]);

    public long ResponseTimeBucket(int index) => Volatile.Read(ref _responseTimeBuckets[index]);

    public long ResponseTimeSumMs => Volatile.Read(ref _responseTimeSumMs);

    /// <summary>Transactions that reached a server and got an answer (the samples behind the averages).</summary>
    public long TimedTransactions => Volatile.Read(ref _timedTransactions);

    public long QueueTimeAverageMs => Average(ref _queueTimeSum);

    public long ConnectTimeAverageMs => Average(ref _connectTimeSum);

    public long ResponseTimeAverageMs => Average(ref _responseTimeSum);

    public long TotalTimeAverageMs => Average(ref _totalTimeSum);

    public long QueueTimeMaxMs => Volatile.Read(ref _queueTimeMax);

    public long ConnectTimeMaxMs => Volatile.Read(ref _connectTimeMax);

    public long ResponseTimeMaxMs => Volatile.Read(ref _responseTimeMax);

    public long TotalTimeMaxMs => Volatile.Read(ref _totalTimeMax);

    /// <summary>
    /// A frontend accepted a connection: it counts as a connection and starts a session, which ends when the
    /// listener gives its slot back.
    /// </summary>
    public void OnConnectionAccepted(long nowMs)
    {
        Interlocked.Increment(ref _connections);
        ConnectionRate.Add(nowMs);
        OnSessionStart(nowMs);
        Parent?.OnConnectionAccepted(nowMs);
    }

    /// <summary>TLS handshakes that made a new session (HAProxy's `ssl_sess`).</summary>
    public long TlsNewSessions => Volatile.Read(ref _tlsNewSessions);

    /// <summary>TLS handshakes that resumed a session (`ssl_reused_sess`).</summary>
    public long TlsResumedSessions => Volatile.Read(ref _tlsResumedSessions);

    /// <summary>TLS handshakes that failed or were cut, an empty connection included (`ssl_failed_handshake`).</summary>
    public long TlsFailedHandshakes => Volatile.Read(ref _tlsFailedHandshakes);

    public void OnTlsHandshake(bool resumed)
    {
        Interlocked.Increment(ref resumed ? ref _tlsResumedSessions : ref _tlsNewSessions);
        Parent?.OnTlsHandshake(resumed);
    }

    public void OnTlsHandshakeFailed()
    {
        Interlocked.Increment(ref _tlsFailedHandshakes);
        Parent?.OnTlsHandshakeFailed();
    }

    /// <summary>`tcp-request connection` rules refused the connection: a denied connection, not a session.</summary>
    public void OnConnectionDenied()
    {
        Interlocked.Increment(ref _deniedConnections);
        Interlocked.Decrement(ref _total);
        Parent?.OnConnectionDenied();
    }

    /// <summary>
    /// `tcp-request session` rules refused the session: a denied session, which the frontend no longer counts as a
    /// session while its listener still does (HAProxy counts the listener's at accept, the frontend's after these rules).
    /// </summary>
    public void OnSessionDenied()
    {
        Interlocked.Increment(ref _deniedSessions);
        if (Parent is { } frontend)
        {
            frontend.OnSessionDenied();
        }
        else
        {
            Interlocked.Decrement(ref _total);
        }
    }

    /// <summary>A frontend session starts: current, max, total, rate, last.</summary>
    public void OnSessionStart(long nowMs)
    {
        var current = Interlocked.Increment(ref _current);
        OnSessionCounted(current, nowMs);
    }

    public void OnSessionEnd()
    {
        Interlocked.Decrement(ref _current);
        Parent?.OnSessionEnd();
    }

    /// <summary>A backend or server took one more session; <paramref name="current"/> is its count now.</summary>
    public void OnSessionCounted(int current, long nowMs)
    {
        Interlocked.Increment(ref _total);
        SessionRate.Add(nowMs);
        Volatile.Write(ref _lastSessionMs, Math.Max(1, nowMs));
        UpdateMax(ref _max, current);
    }

    public void CountRequestError()
    {
        Interlocked.Increment(ref _requestErrors);
        Parent?.CountRequestError();
    }

    public void CountIntercepted()
    {
        Interlocked.Increment(ref _intercepted);
        Parent?.CountIntercepted();
    }

    public void CountRequest(long nowMs)
    {
        Interlocked.Increment(ref _requests);
        RequestRate.Add(nowMs);
        Parent?.CountRequest(nowMs);
    }

    public void AddBytes(long fromClient, long toClient)
    {
        if (fromClient > 0)
        {
            Interlocked.Add(ref _bytesIn, fromClient);
        }

        if (toClient > 0)
        {
            Interlocked.Add(ref _bytesOut, toClient);
        }

        Parent?.AddBytes(fromClient, toClient);
    }

    /// <summary>Counts one response by its status class; 0 (no response) is not counted.</summary>
    public void CountResponse(int status)
    {
        if (status <= 0)
        {
            return;
        }

        var index = status is >= 100 and < 600 ? (status / 100) - 1 : 5;
        Interlocked.Increment(ref _responses[index]);
        Parent?.CountResponse(status);
    }

    /// <summary>The last invalid request (its <see cref="ErrorSnapshot.Event"/> numbered process-wide); null when none.</summary>
    public ErrorSnapshot? LastRequestError => Volatile.Read(ref _lastRequestError);

    public void RecordRequestError(ErrorSnapshot snapshot)
    {
        if (Parent is { } parent)
        {
            // One event, kept by the frontend, which `show errors` reads.
            parent.RecordRequestError(snapshot);
            return;
        }

        Volatile.Write(ref _lastRequestError, snapshot with { Event = Interlocked.Increment(ref s_errorEvents) - 1 });
    }

    /// <summary>How many errors the process has captured since it started.</summary>
    public static int CapturedErrors => Volatile.Read(ref s_errorEvents);

    /// <summary>A backend's last invalid response (its <see cref="ErrorSnapshot.Event"/> numbered with the requests').</summary>
    public ErrorSnapshot? LastResponseError => Volatile.Read(ref _lastResponseError);

    public void RecordResponseError(ErrorSnapshot snapshot) =>
        Volatile.Write(ref _lastResponseError, snapshot with { Event = Interlocked.Increment(ref s_errorEvents) - 1 });

    public void CountDeniedRequest()
    {
        Interlocked.Increment(ref _deniedRequests);
        Parent?.CountDeniedRequest();
    }

    public void CountDeniedResponse()
    {
        Interlocked.Increment(ref _deniedResponses);
        Parent?.CountDeniedResponse();
    }

    public void CountResponseError()
    {
        Interlocked.Increment(ref _responseErrors);
        Parent?.CountResponseError();
    }

    public void CountClientAbort()
    {
        Interlocked.Increment(ref _clientAborts);
        Parent?.CountClientAbort();
    }

    public void CountServerAbort()
    {
        Interlocked.Increment(ref _serverAborts);
        Parent?.CountServerAbort();
    }

    public void CountInternalError()
    {
        Interlocked.Increment(ref _internalErrors);
        Parent?.CountInternalError();
    }

    /// <summary>
    /// The timers of a transaction that got a server's answer (HAProxy's Tw, Tc, Tr, Ta; -1 when not reached):
    /// the sliding averages over <see cref="TimeSamples"/>, the maxima and the response-time histogram.
    /// </summary>
    public void RecordTimes(long queueMs, long connectMs, long responseMs, long totalMs)
    {
        Parent?.RecordTimes(queueMs, connectMs, responseMs, totalMs);
        var samples = Interlocked.Increment(ref _timedTransactions);
        var window = (int)Math.Min(samples, TimeSamples);
        AddSample(ref _queueTimeSum, window, Math.Max(0, queueMs), ref _queueTimeMax);
        AddSample(ref _connectTimeSum, window, Math.Max(0, connectMs), ref _connectTimeMax);
        AddSample(ref _responseTimeSum, window, Math.Max(0, responseMs), ref _responseTimeMax);
        AddSample(ref _totalTimeSum, window, Math.Max(0, totalMs), ref _totalTimeMax);
        if (responseMs >= 0)
        {
            var bucket = 0;
            while (bucket < ResponseTimeBucketsMs.Length && responseMs > ResponseTimeBucketsMs[bucket])
            {
                bucket++;
            }

            Interlocked.Increment(ref _responseTimeBuckets[bucket]);
            Interlocked.Add(ref _responseTimeSumMs, responseMs);
        }
    }

    /// <summary>`clear counters`: the maxima; with <paramref name="all"/> every counter (current sessions stay).</summary>
    public virtual void Clear(bool all)
    {
        Volatile.Write(ref _max, 0);
        SessionRate.ClearMax();
        RequestRate.ClearMax();
        ConnectionRate.ClearMax();
        Volatile.Write(ref _queueTimeMax, 0);
        Volatile.Write(ref _connectTimeMax, 0);
        Volatile.Write(ref _responseTimeMax, 0);
        Volatile.Write(ref _totalTimeMax, 0);
        if (!all)
        {
            return;
        }

        Interlocked.Exchange(ref _total, 0);
        Interlocked.Exchange(ref _lastSessionMs, 0);
        Interlocked.Exchange(ref _bytesIn, 0);
        Interlocked.Exchange(ref _bytesOut, 0);
        Interlocked.Exchange(ref _deniedRequests, 0);
        Interlocked.Exchange(ref _deniedResponses, 0);
        Interlocked.Exchange(ref _deniedConnections, 0);
        Interlocked.Exchange(ref _requestErrors, 0);
        Interlocked.Exchange(ref _responseErrors, 0);
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _clientAborts, 0);
        Interlocked.Exchange(ref _serverAborts, 0);
        Interlocked.Exchange(ref _intercepted, 0);
        Interlocked.Exchange(ref _internalErrors, 0);
        Interlocked.Exchange(ref _connections, 0);
        for (var i = 0; i < _responses.Length; i++)
        {
            Interlocked.Exchange(ref _responses[i], 0);
        }

        for (var i = 0; i < _responseTimeBuckets.Length; i++)
        {
            Interlocked.Exchange(ref _responseTimeBuckets[i], 0);
        }

        Interlocked.Exchange(ref _responseTimeSumMs, 0);
        Interlocked.Exchange(ref _timedTransactions, 0);
        Interlocked.Exchange(ref _queueTimeSum, 0);
        Interlocked.Exchange(ref _connectTimeSum, 0);
        Interlocked.Exchange(ref _responseTimeSum, 0);
        Interlocked.Exchange(ref _totalTimeSum, 0);
    }

    private long Average(ref long sum)
    {
        var window = Math.Min(TimedTransactions, TimeSamples);
        return window == 0 ? 0 : (Volatile.Read(ref sum) + window - 1) / window;
    }

    /// <summary>
    /// HAProxy's <c>swrate_add_dynamic</c>: sum = sum - sum/n + v, so sum/n is a sliding average. Once the window
    /// is full, n is the constant 1024 and the division a shift.
    /// </summary>
    private static void AddSample(ref long sum, int window, long value, ref long max)
    {
        var seen = Volatile.Read(ref sum);
        while (true)
        {
            var next = window == TimeSamples
                ? seen - ((seen + TimeSamples - 1) >> 10) + value
                : seen - ((seen + window - 1) / window) + value;
            var previous = Interlocked.CompareExchange(ref sum, next, seen);
            if (previous == seen)
            {
                break;
            }

            seen = previous;
        }

        UpdateMax(ref max, value);
    }

    private static void UpdateMax(ref int max, int value)
    {
        var seen = Volatile.Read(ref max);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref max, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    private static void UpdateMax(ref long max, long value)
    {
        var seen = Volatile.Read(ref max);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref max, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}

/// <summary>A rejected head as `show errors` prints it: when, from whom, its bytes and where the error is.</summary>
internal sealed record ErrorSnapshot(DateTimeOffset When, byte[] Head, long ErrorOffset, string Source)
{
    public int Event { get; init; }

    /// <summary>For a response: the frontend the request came through.</summary>
    public (string Name, int Id)? Frontend { get; init; }

    /// <summary>For a response: the server that sent it.</summary>
    public (string Name, int Id)? Server { get; init; }
}
