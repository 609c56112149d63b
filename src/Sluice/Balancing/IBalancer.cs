using System.Net;
using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// One load-balancing algorithm of one backend. <see cref="Pick"/> returns a server whose connection slot is
/// already taken (<see cref="ServerState.TryAcquire"/>), so that concurrent picks respect `maxconn` and
/// `leastconn` sees every assigned connection; the transaction calls <see cref="ServerState.Release"/> at its end.
/// </summary>
internal interface IBalancer
{
    /// <param name="clientAddress">The client's address for hash-based algorithms; null for unix clients.</param>
    /// <param name="avoid">A server that just failed (redispatch): chosen only when it is the only candidate.</param>
    /// <returns>The server, or null when no server is usable or all are full.</returns>
    ServerState? Pick(IPAddress? clientAddress, ServerState? avoid);
}
