using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Rules;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// `userlist` passwords in the crypt(3) formats the system's libcrypt knows, made at test time by `openssl passwd`
/// (MD5) and `mkpasswd` (yescrypt, Debian's default; bcrypt; DES): the same users and the same curl requests under
/// haproxy 2.6 and under Sluice get the same statuses.
/// </summary>
public class CryptPasswordTests
{
    private static async Task<string> HashAsync(string tool, params string[] arguments)
    {
        var result = await CommandRunner.RunAsync(CommandRunner.Require(tool, tool == "mkpasswd" ? "whois" : "openssl"), arguments, timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput.Trim();
    }

    private static string Config(int port, IReadOnlyList<(string User, string Hash)> users)
    {
        var lines = string.Join('\n', users.Select(u => $"    user {u.User} password {u.Hash}"));
        return $$"""
            userlist staff
            {{lines}}
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{{port.ToString(CultureInfo.InvariantCulture)}}
                http-request auth realm Staff unless { http_auth(staff) }
                http-request return status 200 content-type text/plain string "in"
            """ + "\n";
    }

    private static async Task<List<string>> AskAsync(int port, IEnumerable<string> credentials)
    {
        var answers = new List<string>();
        foreach (var credential in credentials)
        {
            var result = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", "-u", credential, Http.Url(port, "/"));
            answers.Add($"{credential} {result.StandardOutput}");
        }

        return answers;
    }

    [Fact]
    public async Task Md5BcryptYescryptDes_SameAnswersAsHAProxy()
    {
        (string User, string Hash)[] users =
        [
            ("md5", await HashAsync("openssl", "passwd", "-1", "secret-md5")),
            ("yescrypt", await HashAsync("mkpasswd", "secret-yes")),
            ("bcrypt", await HashAsync("mkpasswd", "-m", "bcrypt", "secret-bcrypt")),
            ("des", await HashAsync("mkpasswd", "-m", "descrypt", "secret-d")),
        ];
        Assert.StartsWith("$y$", users[1].Hash, StringComparison.Ordinal);
        string[] credentials =
        [
            "md5:secret-md5", "md5:wrong", "yescrypt:secret-yes", "yescrypt:secret-ye", "bcrypt:secret-bcrypt",
            "bcrypt:Secret-bcrypt", "des:secret-d", "des:other",
        ];

        var hPort = Ports.FreeListeningPort();
        List<string> reference;
        await using (var haproxy = await LogPeers.StartHAProxyAsync(Config(hPort, users), hPort))
        {
            reference = await AskAsync(hPort, credentials);
        }

        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(sPort, users), [ReadyProbe.Tcp(sPort)]);
        var ours = await AskAsync(sPort, credentials);

        Assert.Equal(reference, ours);
        Assert.Equal(
            ["md5:secret-md5 200", "md5:wrong 401", "yescrypt:secret-yes 200", "yescrypt:secret-ye 401", "bcrypt:secret-bcrypt 200",
                "bcrypt:Secret-bcrypt 401", "des:secret-d 200", "des:other 401"],
            ours);
    }
}
