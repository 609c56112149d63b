using Sluice.Backends;
using Sluice.Transactions;

namespace Sluice.Stats;

/// <summary>
/// Turns the outcome of one finished transaction into counter increments on its frontend, backend and server,
/// with HAProxy's classification: denials (`dreq`, `dresp`), errors (`ereq`, `eresp`, `eint`), aborts
/// (`cli_abrt`, `srv_abrt`), responses by class, bytes and timers. Called once per transaction; allocates nothing.
/// </summary>
internal static class TransactionStats
{
    /// <summary>An HTTP transaction ended.</summary>
    /// <param name="server">The server it was assigned to; null when none was.</param>
    /// <param name="totalMs">Time from the start of the transaction to now.</param>
    public static void RecordHttp(TrafficCounters frontend, BackendState? backend, ServerState? server, HttpTransaction transaction, Mux.IFrontStream front, long totalMs)
    {
        var now = Environment.TickCount64;
        var status = transaction.Status;
        var cause = transaction.Cause;
        var phase = transaction.Phase;
        var bytesIn = HttpTransaction.BytesInWithHead(front);
        var bytesOut = transaction.BytesOutWithHead(front);
        var answered = transaction.Tr >= 0;

        frontend.CountRequest(now);
        frontend.CountResponse(status);
        frontend.AddBytes(bytesIn, bytesOut);
        var be = backend?.Counters;
        var srv = server?.Counters;
        if (be is not null)
        {
            be.CountRequest(now);
            be.CountResponse(status);
            be.AddBytes(bytesIn, bytesOut);
        }

        if (srv is not null)
        {
            if (answered)
            {
                srv.CountResponse(status);
            }

            srv.AddBytes(bytesIn, bytesOut);
        }

        if (answered)
        {
            be?.RecordTimes(transaction.Tw, transaction.Tc, transaction.Tr, totalMs);
            srv?.RecordTimes(transaction.Tw, transaction.Tc, transaction.Tr, totalMs);
        }

        Classify(frontend, be, srv, status, cause, phase, transaction.ResponseDenied);
    }

    /// <summary>A tcp-mode transaction (a tunnel) ended.</summary>
    public static void RecordTcp(TrafficCounters frontend, BackendState? backend, ServerState? server, Transaction transaction)
    {
        if (transaction.SessionDenied)
        {
            frontend.OnSessionDenied();
            return;
        }

        var bytesIn = transaction.BytesFromClient;
        var bytesOut = transaction.BytesFromServer;
        frontend.AddBytes(bytesIn, bytesOut);
        backend?.Counters.AddBytes(bytesIn, bytesOut);
        server?.Counters.AddBytes(bytesIn, bytesOut);
        if (server is not null && transaction.Tc >= 0)
        {
            server.Counters.RecordTimes(Math.Max(0, transaction.Tw), transaction.Tc, -1, transaction.Tt);
            backend?.Counters.RecordTimes(Math.Max(0, transaction.Tw), transaction.Tc, -1, transaction.Tt);
        }

        Classify(frontend, backend?.Counters, server?.Counters, status: 0, transaction.Cause, transaction.Phase, transaction.ResponseDenied);
    }

    /// <summary>
    /// The HTTP/1 parser rejected a request, or the client sent none before `timeout http-request` (ereq). A
    /// rejected head is kept as the frontend's last error for `show errors`.
    /// </summary>
    public static void RecordInvalidRequest(TrafficCounters frontend, int status, (byte[] Head, long ErrorOffset)? rejected, System.Net.EndPoint? client)
    {
        if (status <= 0)
        {
            return;
        }

        if (rejected is var (head, offset))
        {
            frontend.RecordRequestError(new ErrorSnapshot(DateTimeOffset.Now, head, ErrorPosition(head, offset), client?.ToString() ?? "-"));
        }

        var now = Environment.TickCount64;
        frontend.CountRequestError();
        frontend.CountRequest(now);
        frontend.CountResponse(status);
    }

    /// <summary>A server's response head the parser rejected (eresp is counted with the 502), kept for `show errors`.</summary>
    public static void RecordInvalidResponse(TrafficCounters backend, (byte[] Head, long ErrorOffset) rejected, (string Name, int Id) frontend, (string Name, int Id)? server, System.Net.EndPoint? client) =>
        backend.RecordResponseError(new ErrorSnapshot(DateTimeOffset.Now, rejected.Head, ErrorPosition(rejected.Head, rejected.ErrorOffset), client?.ToString() ?? "-")
        {
            Frontend = frontend,
            Server = server,
        });

    /// <summary>
    /// The parser reports the start of the faulty line; HAProxy points at the faulty byte. Within that line, the
    /// first control character (other than the line end) is that byte; without one, the line start stays.
    /// </summary>
    internal static long ErrorPosition(byte[] head, long lineStart)
    {
        for (var i = (int)Math.Clamp(lineStart, 0, head.Length); i < head.Length; i++)
        {
            var b = head[i];
            if (b == (byte)'\n' || (b == (byte)'\r' && i + 1 < head.Length && head[i + 1] == (byte)'\n'))
            {
                break;
            }

            if ((b < 0x20 && b != (byte)'\t') || b == 0x7f)
            {
                return i;
            }
        }

        return lineStart;
    }

    private static void Classify(TrafficCounters frontend, TrafficCounters? backend, TrafficCounters? server, int status, TerminationCause cause, TerminationPhase phase, bool responseDenied)
    {
        if (responseDenied)
        {
            // `tcp-response content reject`: the server's answer was refused by a rule (dresp on all three).
            frontend.CountDeniedResponse();
            backend?.CountDeniedResponse();
            server?.CountDeniedResponse();
            return;
        }

        switch (cause)
        {
            case TerminationCause.ProxyCondition when phase == TerminationPhase.Tarpit:
                frontend.CountDeniedRequest();
                backend?.CountDeniedRequest();
                break;
            case TerminationCause.ProxyCondition when phase == TerminationPhase.Request:
                if (status is 400 or 408 or 417 or 413 or 414 or 431 or 501)
                {
                    frontend.CountRequestError();
                }
                else if (status != 503)
                {
                    // `deny`, `reject`, `auth`, `tcp-request ... reject`: refused by a rule.
                    frontend.CountDeniedRequest();
                    backend?.CountDeniedRequest();
                }

                break;
            case TerminationCause.ProxyCondition when phase == TerminationPhase.Headers:
                if (status == 502)
                {
                    // The server's response was invalid.
                    backend?.CountResponseError();
                    server?.CountResponseError();
                }
                else
                {
                    frontend.CountDeniedResponse();
                    backend?.CountDeniedResponse();
                    server?.CountDeniedResponse();
                }

                break;
            case TerminationCause.ServerClosed or TerminationCause.ServerTimeout when phase == TerminationPhase.Headers:
                backend?.CountResponseError();
                server?.CountResponseError();
                break;
            case TerminationCause.ServerClosed or TerminationCause.ServerTimeout when phase is TerminationPhase.Data or TerminationPhase.Last:
                backend?.CountServerAbort();
                server?.CountServerAbort();
                break;
            case TerminationCause.ClientClosed or TerminationCause.ClientTimeout when phase is TerminationPhase.Data or TerminationPhase.Last or TerminationPhase.Headers:
                backend?.CountClientAbort();
                server?.CountClientAbort();
                break;
            case TerminationCause.Internal:
                frontend.CountInternalError();
                backend?.CountInternalError();
                server?.CountInternalError();
                break;
        }
    }
}
