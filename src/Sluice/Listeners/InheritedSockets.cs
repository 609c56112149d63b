using System.Globalization;
using System.Net.Sockets;
using Sluice.Config.Model;

namespace Sluice.Listeners;

/// <summary>
/// The listening sockets of a running configuration, offered to the one that replaces it at a reload: a bind
/// whose socket would be the same (address, port and every option that shapes the socket) takes the open socket
/// over instead of binding again, so not one connection is refused while the configurations change.
/// </summary>
internal sealed class InheritedSockets
{
    private readonly Dictionary<string, Queue<Socket>> _byKey = new(StringComparer.Ordinal);

    public InheritedSockets(IEnumerable<Listener> listeners)
        : this(listeners.Select(l => (l.Key, l.Socket)))
    {
    }

    /// <param name="sockets">Sockets and their <see cref="Key"/>, e.g. as another process handed them over.</param>
    public InheritedSockets(IEnumerable<(string Key, Socket Socket)> sockets)
    {
        foreach (var (key, socket) in sockets)
        {
            if (!_byKey.TryGetValue(key, out var queue))
            {
                _byKey[key] = queue = new Queue<Socket>();
            }

            queue.Enqueue(socket);
        }
    }

    /// <summary>Closes the sockets no bind took (those another process handed over and this one does not use).</summary>
    public void CloseUntaken()
    {
        foreach (var queue in _byKey.Values)
        {
            while (queue.TryDequeue(out var socket))
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>The sockets taken over so far.</summary>
    public HashSet<Socket> Taken { get; } = new(ReferenceEqualityComparer.Instance);

    public bool TryTake(string key, out Socket socket)
    {
        if (_byKey.TryGetValue(key, out var queue) && queue.TryDequeue(out socket!))
        {
            Taken.Add(socket);
            return true;
        }

        socket = null!;
        return false;
    }

    /// <summary>Puts back a socket taken by a bind that could not take all of its sockets.</summary>
    public void GiveBack(string key, Socket socket)
    {
        Taken.Remove(socket);
        _byKey[key].Enqueue(socket);
    }

    /// <summary>What makes two sockets of bind lines the same socket: the address as listened on, and its options.</summary>
    public static string Key(BindConfig bind, string endPointText, GlobalConfig global) => string.Create(CultureInfo.InvariantCulture,
        $"{endPointText}|{bind.Interface}|{bind.Namespace}|{bind.Transparent}|{bind.V4V6}|{bind.V6Only}|{bind.FastOpen}|{bind.DeferAccept}|{bind.Mss}|{bind.UnixMode}|{bind.UnixUser}|{bind.UnixGroup}|{global.NoReusePort}");
}
