using System.Net;
using Sluice.Config.Model;
using Sluice.Listeners;

namespace Sluice.Tests.Listeners;

public class ListenerFactoryTests
{
    [Theory]
    [InlineData(50, 40, 30, 20, 50)]
    [InlineData(0, 40, 30, 20, 40)]
    [InlineData(0, 0, 30, 20, 30)]
    [InlineData(0, 0, 0, 20, 20)]
    [InlineData(0, 0, 0, 0, 1024)]
    public void Backlog_Settings_HaproxyOrderOfPrecedence(int bindBacklog, int frontendBacklog, int frontendMaxConn, int globalMaxConn, int expected)
    {
        var bind = new BindConfig
        {
            Location = "t:1",
            Address = new InetBindAddress { Text = "127.0.0.1:1", Address = IPAddress.Loopback, FirstPort = 1, LastPort = 1 },
            Backlog = bindBacklog == 0 ? null : bindBacklog,
        };
        var frontend = new FrontendConfig
        {
            Name = "fe",
            Location = "t:1",
            Id = 1,
            Binds = [bind],
            Backlog = frontendBacklog == 0 ? null : frontendBacklog,
            MaxConn = frontendMaxConn,
        };
        Assert.Equal(expected, ListenerFactory.Backlog(bind, frontend, new GlobalConfig { MaxConn = globalMaxConn }));
    }
}
