using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sluice.Integration.Fixtures;

/// <summary>
/// A small real backend on loopback TCP or a unix socket. Each accepted connection runs the handler; the server
/// counts connections (total, current, highest concurrent) so tests can check what reached it.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<Task> _connections = [];
    private int _current;
    private int _total;
    private int _maxConcurrent;

    private TestServer(Socket listener, Func<Socket, Task> handler, string address)
    {
        _listener = listener;
        _handler = handler;
        Address = address;
        _loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The address as a server line writes it: `127.0.0.1:PORT` or the unix path.</summary>
    public string Address { get; }

    public int Total => Volatile.Read(ref _total);

    public int Current => Volatile.Read(ref _current);

    public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

    public static TestServer Tcp(Func<Socket, Task> handler) => Tcp(handler, new IPEndPoint(IPAddress.Loopback, 0));

    /// <summary>Listens on <paramref name="at"/> (another loopback address, a given port).</summary>
    public static TestServer Tcp(Func<Socket, Task> handler, IPEndPoint at)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(at);
        socket.Listen(512);
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        return new TestServer(socket, handler, bound.Address + ":" + bound.Port);
    }

    public static TestServer Unix(string path, Func<Socket, Task> handler)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(512);
        return new TestServer(socket, handler, path);
    }

    /// <summary>Echoes everything; on the client's FIN, finishes sending and sends its own FIN.</summary>
    public static async Task Echo(Socket socket)
    {
        var buffer = new byte[65536];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer);
            if (read == 0)
            {
                socket.Shutdown(SocketShutdown.Send);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, read));
        }
    }

    /// <summary>Says its name and closes.</summary>
    public static Func<Socket, Task> SayName(string name) => async socket =>
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(name));
        socket.Shutdown(SocketShutdown.Send);
        await DrainAsync(socket);
    };

    /// <summary>A minimal HTTP/1.1 responder: reads the request head, answers 200 with a fixed body, closes.</summary>
    public static Task HttpHello(Socket socket) => HttpAnswerAsync(socket, "hello from behind sluice");

    /// <summary>The HTTP/1.1 responder of <see cref="HttpHello"/>, answering with <paramref name="name"/> as its body.</summary>
    public static Func<Socket, Task> HttpSayName(string name) => socket => HttpAnswerAsync(socket, name);

    private static async Task HttpAnswerAsync(Socket socket, string body)
    {
        if (await ReadRequestHeadAsync(socket) is null)
        {
            return;
        }

        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
        socket.Shutdown(SocketShutdown.Send);
        await DrainAsync(socket);
    }

    /// <summary>Reads up to the end of a request head; null when the peer closed before it.</summary>
    public static async Task<string?> ReadRequestHeadAsync(Socket socket)
    {
        var buffer = new byte[8192];
        var head = new StringBuilder();
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer);
            if (read == 0)
            {
                return null;
            }

            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return head.ToString();
    }

    /// <summary>Answers with the address the connection reached, then closes.</summary>
    public static async Task SayLocalAddress(Socket socket)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(((IPEndPoint)socket.LocalEndPoint!).Address.ToString()));
        socket.Shutdown(SocketShutdown.Send);
        await DrainAsync(socket);
    }

    /// <summary>Answers with the address and port the connection came from, then closes.</summary>
    public static async Task SayPeer(Socket socket)
    {
        var peer = (IPEndPoint)socket.RemoteEndPoint!;
        await socket.SendAsync(Encoding.ASCII.GetBytes(peer.Address + " " + peer.Port));
        socket.Shutdown(SocketShutdown.Send);
        await DrainAsync(socket);
    }

    /// <summary>Never answers; reads until the connection ends.</summary>
    public static Task Silent(Socket socket) => DrainAsync(socket);

    /// <summary>Reads until the client's FIN, then answers how many bytes it got, and closes.</summary>
    public static async Task CountThenReply(Socket socket)
    {
        var total = await DrainAsync(socket);
        await socket.SendAsync(Encoding.ASCII.GetBytes("got " + total));
        socket.Shutdown(SocketShutdown.Send);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _loop;
        Task[] pending;
        lock (_connections)
        {
            pending = [.. _connections];
        }

        await Task.WhenAll(pending).WaitAsync(TestTimeout.Value).ContinueWith(_ => { });
        _stop.Dispose();
    }

    public static async Task<long> DrainAsync(Socket socket)
    {
        var buffer = new byte[16384];
        long total = 0;
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer);
            if (read == 0)
            {
                return total;
            }

            total += read;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _total);
            var now = Interlocked.Increment(ref _current);
            int seen;
            while (now > (seen = Volatile.Read(ref _maxConcurrent)) && Interlocked.CompareExchange(ref _maxConcurrent, now, seen) != seen)
            {
            }

            lock (_connections)
            {
                _connections.Add(RunAsync(client));
            }
        }
    }

    private async Task RunAsync(Socket client)
    {
        try
        {
            await _handler(client);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _current);
            client.Dispose();
        }
    }
}
