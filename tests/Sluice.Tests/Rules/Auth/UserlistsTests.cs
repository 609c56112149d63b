using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Rules.Auth;

namespace Sluice.Tests.Rules.Auth;

public sealed class UserlistsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-userlists-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ALoad_ResolvesItsUserlists_AndLeavesNothingInTheCallersFlow()
    {
        var path = Path.Combine(_dir, "t.cfg");
        File.WriteAllText(path, """
            userlist admins
                user alice insecure-password secret
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            frontend f
                bind 127.0.0.1:8080
                http-request auth if !{ http_auth(admins) }
                default_backend b
            backend b
                server s 127.0.0.1:80
            """);
        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load([path], _ => null, diagnostics);
        Assert.NotNull(config);
        Assert.False(diagnostics.HasAlerts);

        // Connections started after a load run in this flow: the load's userlists must not travel with them.
        Assert.Null(Userlists.Find("admins"));
    }

    [Fact]
    public void NestedLoads_EachSeeTheirOwn_AndTheOuterComesBack()
    {
        using (Userlists.BeginLoad())
        {
            Userlists.Declare("outer");
            using (Userlists.BeginLoad())
            {
                Assert.Null(Userlists.Find("outer"));
                Userlists.Declare("inner");
            }

            Assert.NotNull(Userlists.Find("outer"));
            Assert.Null(Userlists.Find("inner"));
        }

        Assert.Null(Userlists.Find("outer"));
    }
}
