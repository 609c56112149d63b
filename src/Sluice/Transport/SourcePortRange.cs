using System.Collections.Concurrent;

namespace Sluice.Transport;

/// <summary>
/// The free ports of a `source ADDR:LOW-HIGH` range. HAProxy picks the outgoing port itself from such a range
/// (it does not leave it to the kernel), so that a range can exceed the kernel's ephemeral ports and every port
/// is used before one is reused. A port is taken for the life of a server connection and given back at close.
/// </summary>
internal sealed class SourcePortRange
{
    private readonly ConcurrentQueue<int> _free = new();

    public SourcePortRange(int firstPort, int lastPort)
    {
        FirstPort = firstPort;
        LastPort = lastPort;
        for (var port = firstPort; port <= lastPort; port++)
        {
            _free.Enqueue(port);
        }
    }

    public int FirstPort { get; }

    public int LastPort { get; }

    public int Count => LastPort - FirstPort + 1;

    public int FreeCount => _free.Count;

    public bool TryTake(out int port) => _free.TryDequeue(out port);

    public void Return(int port) => _free.Enqueue(port);
}
