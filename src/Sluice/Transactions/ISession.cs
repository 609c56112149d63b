namespace Sluice.Transactions;

/// <summary>A client connection in flight, as the host sees it to stop it.</summary>
internal interface ISession
{
    /// <summary>Soft stop: finish what is in progress, take nothing new.</summary>
    void RequestStop();

    /// <summary>Hard stop: end now, logged `K`.</summary>
    void Kill();

    /// <summary>
    /// HAProxy's srv_shutdown_streams: what this session carries to <paramref name="server"/> ends now, logged with
    /// <paramref name="cause"/> (`D` when the server went down, `U` when an active one came up over a backup).
    /// </summary>
    void ShutdownStreamsOn(Backends.ServerState server, TerminationCause cause)
    {
    }

    /// <summary>What the runtime API's `show sess` prints of it, and what `shutdown sessions server` matches.</summary>
    SessionInfo Info => new(null, null, null, null);
}

/// <summary>A session as `show sess` shows it: its frontend, its current backend and server, its client.</summary>
internal readonly record struct SessionInfo(string? Frontend, string? Backend, string? Server, System.Net.EndPoint? Client);
