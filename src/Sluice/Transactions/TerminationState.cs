namespace Sluice.Transactions;

/// <summary>Why a transaction ended: the first character of HAProxy's termination state (configuration.txt §8.5).</summary>
internal enum TerminationCause
{
    /// <summary>`-`: normal end, on both sides.</summary>
    None = 0,
    /// <summary>`c`: the client-side timeout expired while waiting for the client.</summary>
    ClientTimeout = 1,
    /// <summary>`C`: the client aborted (reset, error) before the transaction could complete.</summary>
    ClientClosed = 2,
    /// <summary>`s`: the server-side timeout (or timeout connect) expired.</summary>
    ServerTimeout = 3,
    /// <summary>`S`: the server aborted, refused the connection, or no server could be reached.</summary>
    ServerClosed = 4,
    /// <summary>`P`: the proxy ended the transaction on its own (rules, invalid data, no backend).</summary>
    ProxyCondition = 5,
    /// <summary>`R`: a local resource ran out (memory, sockets, source ports).</summary>
    Resource = 6,
    /// <summary>`I`: an internal error of the proxy.</summary>
    Internal = 7,
    /// <summary>`D`: the server went down and the transaction was killed.</summary>
    Down = 8,
    /// <summary>`K`: killed by an administrator or by a (hard) stop.</summary>
    Killed = 9,
    /// <summary>`U`: killed because a backup server was no longer needed.</summary>
    Up = 10,
    /// <summary>`L`: the proxy answered by itself (`http-request return`, `redirect`), without a server.</summary>
    Local = 11,
}

/// <summary>Where the transaction was when it ended: the second character of the termination state.</summary>
internal enum TerminationPhase
{
    /// <summary>`-`: normal end.</summary>
    None = 0,
    /// <summary>`R`: waiting for the request (or the first data in tcp mode before a rule decided).</summary>
    Request = 1,
    /// <summary>`C`: establishing the connection to the server.</summary>
    Connect = 2,
    /// <summary>`H`: waiting for, or processing, the server's response headers.</summary>
    Headers = 3,
    /// <summary>`D`: transferring data (the tunnel of mode tcp).</summary>
    Data = 4,
    /// <summary>`L`: sending the last data to the client.</summary>
    Last = 5,
    /// <summary>`Q`: waiting in a queue for a server slot.</summary>
    Queue = 6,
    /// <summary>`T`: held by a tarpit.</summary>
    Tarpit = 7,
}

/// <summary>Renders the two-letter termination state (`--`, `CD`, `sC`, ...).</summary>
internal static class TerminationCodes
{
    private const string CauseChars = "-cCsSPRIDKUL";
    private const string PhaseChars = "-RCHDLQT";

    // Every combination is precomputed so that rendering in the log path allocates nothing.
    private static readonly string[] Codes = BuildCodes();

    public static char CauseChar(TerminationCause cause) => CauseChars[(int)cause];

    public static char PhaseChar(TerminationPhase phase) => PhaseChars[(int)phase];

    public static string Render(TerminationCause cause, TerminationPhase phase) =>
        Codes[((int)cause * PhaseChars.Length) + (int)phase];

    private static string[] BuildCodes()
    {
        var codes = new string[CauseChars.Length * PhaseChars.Length];
        for (var c = 0; c < CauseChars.Length; c++)
        {
            for (var p = 0; p < PhaseChars.Length; p++)
            {
                codes[(c * PhaseChars.Length) + p] = string.Concat(CauseChars[c].ToString(), PhaseChars[p].ToString());
            }
        }

        return codes;
    }
}
