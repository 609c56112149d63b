using System.Net;
using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// `option transparent`: HAProxy balances nothing then; a request that persistence did not bind to a server goes to
/// the destination it was sent to (<see cref="BackendState.TransparentServer"/>), which has no connection limit.
/// </summary>
internal sealed class TransparentBalancer(ServerState destination) : IBalancer
{
    public ServerState? Pick(IPAddress? clientAddress, ServerState? avoid) => destination.TryAcquire() ? destination : null;
}
