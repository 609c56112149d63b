using Sluice.Config.Model;

namespace Sluice.Backends;

/// <summary>What to do after a failed connection attempt.</summary>
internal enum RetryDecision
{
    /// <summary>No attempt left: the transaction fails in the connect phase.</summary>
    GiveUp = 0,
    /// <summary>Try the same server again.</summary>
    RetrySameServer = 1,
    /// <summary>Release the server and let the balancer pick again (`option redispatch`).</summary>
    Redispatch = 2,
}

/// <summary>
/// HAProxy's retry rules (stream.c, <c>sess_update_st_cer</c>): `retries N` allows N attempts after the first.
/// With `option redispatch [P]` the server is given up and the balancer asked again when the server is no longer
/// usable (down, in maintenance or draining, as srv_currently_usable),
/// when the retry number r (from 1) satisfies <c>r % P == 0</c> for a positive P or
/// <c>r % (retries + 1 + P) == 0</c> for a negative P (the default -1 is the last retry), or at once when the
/// algorithm is not hash based and more than one active server is usable, since another one serves as well.
/// </summary>
internal static class RetryPolicy
{
    /// <summary>
    /// The pause before retrying the same server after a refused connection. HAProxy waits
    /// min(1 s, timeout connect) so that a restarting server is not hammered; Sluice keeps the same idea with a
    /// shorter bound so that retries stay quick.
    /// </summary>
    public static readonly TimeSpan MaxTurnAroundDelay = TimeSpan.FromMilliseconds(100);

    /// <param name="retriesDone">Retries already made before this decision (0 after the first attempt failed).</param>
    public static RetryDecision Decide(BackendConfig backend, int retriesDone, bool serverUsable, int usableActiveServers)
    {
        var retry = retriesDone + 1;
        if (retry > backend.Retries)
        {
            return RetryDecision.GiveUp;
        }

        if (backend.Redispatch is not int redispatch)
        {
            return RetryDecision.RetrySameServer;
        }

        if (!serverUsable)
        {
            return RetryDecision.Redispatch;
        }

        if (redispatch > 0 && retry % redispatch == 0)
        {
            return RetryDecision.Redispatch;
        }

        if (redispatch < 0)
        {
            var period = backend.Retries + 1 + redispatch;
            if (period > 0 && retry % period == 0)
            {
                return RetryDecision.Redispatch;
            }
        }

        if (usableActiveServers > 1 && !IsHashBased(backend.Balance.Algorithm))
        {
            return RetryDecision.Redispatch;
        }

        return RetryDecision.RetrySameServer;
    }

    /// <summary>
    /// The turn-around delay before retrying the same server: none after a timeout (the time was spent already),
    /// else min(<see cref="MaxTurnAroundDelay"/>, timeout connect).
    /// </summary>
    public static TimeSpan TurnAroundDelay(TimeSpan? connectTimeout, bool timedOut)
    {
        if (timedOut)
        {
            return TimeSpan.Zero;
        }

        return connectTimeout is TimeSpan t && t < MaxTurnAroundDelay ? t : MaxTurnAroundDelay;
    }

    /// <summary>HAProxy's BE_LB_KIND_HI: the server follows from the request, so another server is not as good.</summary>
    private static bool IsHashBased(BalanceAlgorithm algorithm) =>
        algorithm is BalanceAlgorithm.Source or BalanceAlgorithm.Random or BalanceAlgorithm.Uri or BalanceAlgorithm.UrlParam
            or BalanceAlgorithm.Header or BalanceAlgorithm.Hash or BalanceAlgorithm.RdpCookie;
}
