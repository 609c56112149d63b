using System.Net;
using System.Net.Sockets;
using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.Mux.Http1;
using Sluice.Tests.Timers;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Tests.Backends;

public sealed class ServerConnectionPoolTests : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly ManualTimeProvider _time = new();
    private readonly Heartbeat _clock;
    private readonly BlockMemoryPool _memory = new(4096);
    private readonly List<Socket> _serverSides = [];

    public ServerConnectionPoolTests()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        _clock = new Heartbeat(_time, TimeSpan.FromMilliseconds(100));
    }

    private static ServerConfig Server(int poolMax = -1, int maxReuse = -1) => new()
    {
        Name = "s1",
        Location = "test:1",
        Address = new InetServerAddress { Text = "127.0.0.1:1", Address = IPAddress.Loopback, Port = 1 },
        Id = 1,
        PoolMaxConn = poolMax,
        MaxReuse = maxReuse,
        PoolPurgeDelay = TimeSpan.FromSeconds(5),
    };

    private Http1BackConnection Connect(int exchanges = 1)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(_listener.LocalEndPoint!);
        _serverSides.Add(_listener.Accept());
        var connection = new Http1BackConnection(new SocketDuplex(client, _memory, waitWithoutBuffer: false, onEventLoop: true), _clock);
        for (var i = 0; i < exchanges; i++)
        {
            connection.CompleteExchangeForTests();
        }

        return connection;
    }

    [Theory]
    [InlineData("safe", true, false)]
    [InlineData("safe", false, true)]
    [InlineData("always", true, true)]
    [InlineData("never", false, false)]
    public void TryTake_ReuseModes(string reuse, bool firstRequest, bool expectReuse)
    {
        var mode = Enum.Parse<HttpReuseMode>(reuse, ignoreCase: true);
        var pool = new ServerConnectionPool(Server());
        var connection = Connect();
        pool.Return(connection, 0);
        var taken = pool.TryTake(mode, firstRequest, nowMs: 0);
        Assert.Equal(expectReuse, taken is not null);
        taken?.Dispose();
        pool.Clear();
    }

    [Fact]
    public void TryTake_Aggressive_FirstRequestOnlyOnConnectionsReusedBefore()
    {
        var pool = new ServerConnectionPool(Server());
        pool.Return(Connect(exchanges: 1), 0);
        Assert.Null(pool.TryTake(HttpReuseMode.Aggressive, firstRequest: true, nowMs: 0));
        pool.Return(Connect(exchanges: 2), 0);
        using var taken = pool.TryTake(HttpReuseMode.Aggressive, firstRequest: true, nowMs: 0);
        Assert.NotNull(taken);
        Assert.Equal(2, taken.Exchanges);
        pool.Clear();
    }

    [Fact]
    public void TryTake_ServerClosedWhileIdle_Dropped()
    {
        var pool = new ServerConnectionPool(Server());
        pool.Return(Connect(), 0);
        _serverSides[0].Close();
        Thread.Sleep(50);
        Assert.Null(pool.TryTake(HttpReuseMode.Always, firstRequest: false, nowMs: 1000));
        Assert.Equal(0, pool.IdleCount);
    }

    /// <summary>A connection given back moments ago is taken without a poll: a close it met then is the request's to find.</summary>
    [Fact]
    public void TryTake_JustReturned_TakenWithoutAskingTheKernel()
    {
        var pool = new ServerConnectionPool(Server());
        pool.Return(Connect(), 1000);
        _serverSides[0].Close();
        Thread.Sleep(50);
        using var taken = pool.TryTake(HttpReuseMode.Always, firstRequest: false, nowMs: 1010);
        Assert.NotNull(taken);
    }

    [Fact]
    public void Return_PoolMaxConn_ExtraConnectionsClosed()
    {
        var pool = new ServerConnectionPool(Server(poolMax: 1));
        pool.Return(Connect(), 0);
        var second = Connect();
        pool.Return(second, 0);
        Assert.Equal(1, pool.IdleCount);
        Assert.False(second.IsReusable);
        pool.Clear();
    }

    [Fact]
    public void Return_MaxReuseReached_Closed()
    {
        var pool = new ServerConnectionPool(Server(maxReuse: 1));
        var worn = Connect(exchanges: 2);
        pool.Return(worn, 0);
        Assert.Equal(0, pool.IdleCount);
    }

    [Fact]
    public void OnHeartbeat_IdleBeyondPurgeDelay_Closed()
    {
        var pool = new ServerConnectionPool(Server());
        pool.Return(Connect(), 0);
        pool.OnHeartbeat(4999);
        Assert.Equal(1, pool.IdleCount);
        pool.OnHeartbeat(5000);
        Assert.Equal(0, pool.IdleCount);
    }

    public void Dispose()
    {
        foreach (var socket in _serverSides)
        {
            socket.Dispose();
        }

        _listener.Dispose();
        _clock.Dispose();
    }
}
