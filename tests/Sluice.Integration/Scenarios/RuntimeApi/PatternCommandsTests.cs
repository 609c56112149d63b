using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.RuntimeApi;

/// <summary>
/// The map and ACL commands of the runtime API, under haproxy 2.6 and under Sluice with the same configuration and
/// the same steps: every answer, and what requests get between the commands (a map's value in a header, a pattern
/// file's ACL denying), must be the same. Entry addresses are HAProxy's pointers, compared as `0xADDR`; haproxy's own
/// internal ACLs (its HTTP client's) are left out, and so are the `entry_cnt` counts, which haproxy 2.6 lowers on a
/// refused `add` (Sluice's are checked against the entries instead).
/// </summary>
public sealed partial class PatternCommandsTests
{
    private readonly string _dir = Ports.TempDirectory();

    private string Config(int port, string socket) => $"""
        {HaproxyOracle.Preamble(socket)}
        frontend fe
            bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
            acl blocked src -f {_dir}/blocked.lst
            acl tool hdr(user-agent) -i -m sub curl wget
            http-request deny if blocked
            http-request deny if {"{"} path_beg /private {"}"} !LOCALHOST
            http-request return status 200 content-type text/plain lf-string "%[path,map_beg({_dir}/paths.map,none)] %[req.hdr(x-n),map_int({_dir}/int.map,zero)] %[path,map_reg({_dir}/re.map,-)] %[req.hdr(user-agent),map_str({_dir}/agents.map,other)] tool=%[req.hdr(user-agent),lower,map_sub({_dir}/tools.map,no)]"
        """;

    private static readonly string[] Steps =
    [
        "GET /api/x", "show map", "show acl", "show map {dir}/paths.map", "show acl #1", "show acl #2", "show acl #4",
        "get map {dir}/paths.map /api/x", "get map {dir}/re.map /abc", "get map {dir}/int.map 20", "get map {dir}/agents.map curl/8",
        "get acl {dir}/blocked.lst 10.1.2.3", "get acl #2 Mozilla-CURL/7", "get acl #2 lynx", "get acl #3 /private/x",
        "get map {dir}/paths.map", "add map {dir}/paths.map", "add map {dir}/paths.map onlykey", "add map {dir}/int.map abc 5",
        "add acl {dir}/blocked.lst", "add acl {dir}/blocked.lst bad", "add map {dir}/paths.map /new be_new", "GET /new/1",
        "set map {dir}/paths.map /new be_new2", "GET /new/2", "set map {dir}/paths.map /nothere x", "set map {dir}/paths.map /new",
        "del map {dir}/paths.map /static", "GET /static", "del map {dir}/paths.map /nothere", "del map {dir}/paths.map",
        "del map {dir}/paths.map #0xdeadbeef", "add acl {dir}/blocked.lst 127.0.0.0/8", "GET /blocked", "show acl {dir}/blocked.lst",
        "del acl {dir}/blocked.lst 127.0.0.0/8", "GET /unblocked", "prepare map {dir}/paths.map", "prepare map",
        "add map @1 {dir}/paths.map /v1 x", "add map @7 {dir}/paths.map /v7 x", "show map @1 {dir}/paths.map", "GET /v1/before-commit",
        "show map {dir}/paths.map", "commit map @5 {dir}/paths.map", "commit map {dir}/paths.map", "commit map @0 {dir}/paths.map",
        "commit map @1 {dir}/paths.map", "show map {dir}/paths.map", "GET /v1/after-commit", "GET /api/gone", "show map",
        "add map {dir}/int.map 30 thirty", "GET /n 30", "clear map {dir}/paths.map", "clear map", "GET /v1/cleared",
        "show map nosuch", "show acl nosuch", "clear acl nosuch", "prepare acl #2", "add acl @1 #2 lynx", "commit acl @1 #2",
        "show acl #2", "GET /agent lynx/2", "get acl #2 lynx", "add acl #3 /other", "GET /other", "show acl",
    ];

    [Fact]
    public async Task EveryCommandAnswersAsHAProxy_AndRequestsSeeTheChanges()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "paths.map"), "# paths\n/api   be_api\n/static be_static\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "int.map"), "10 ten\n20 twenty\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "re.map"), "^/a.*  rega\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "agents.map"), "curl is-curl\nwget is-wget\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "tools.map"), "curl is-curl\nwget is-wget\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "blocked.lst"), "10.0.0.0/8\n192.168.1.1\n");

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);
        Assert.Contains("4 () acl 'src' file 'CFG' line 13. curr_ver=0 next_ver=0 entry_cnt=2", ours, StringComparison.Ordinal);
        Assert.Contains("5 ({dir}/paths.map) pattern loaded from file '{dir}/paths.map' used by map at file 'CFG' line 14. curr_ver=1 next_ver=1 entry_cnt=1", ours, StringComparison.Ordinal);
        (reference, ours) = (EntryCount().Replace(reference, "entry_cnt=N"), EntryCount().Replace(ours, "entry_cnt=N"));
        Assert.Contains("### GET /new/2\n200 be_new2 ", reference, StringComparison.Ordinal);
        Assert.Contains("### GET /blocked\n403", reference, StringComparison.Ordinal);
        var (expected, actual) = (reference.Split('\n'), ours.Split('\n'));
        for (var i = 0; i < Math.Min(expected.Length, actual.Length); i++)
        {
            Assert.True(expected[i] == actual[i], $"line {i + 1}: haproxy\n{expected[i]}\nSluice\n{actual[i]}\n\nhaproxy's whole answer:\n{reference}\n\nSluice's:\n{ours}");
        }

        Assert.Equal(expected.Length, actual.Length);
    }

    /// <summary>
    /// `http-request set-map|del-map|add-acl|del-acl`: requests change a map and a pattern file that later requests
    /// and the runtime API see, as in haproxy 2.6; a rule on a file no map reads does nothing.
    /// </summary>
    [Fact]
    public async Task RulesChangeMapsAndAcls_AsHAProxy()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "sm.map"), "/a 1\n");
        await File.WriteAllTextAsync(Path.Combine(_dir, "sm.lst"), "10.9.9.9\n");
        string Config(int port, string socket) => $"""
            {HaproxyOracle.Preamble(socket)}
            frontend fe
                bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
                acl listed src -f {_dir}/sm.lst
                http-request return status 403 content-type text/plain string listed if listed
                http-request set-map({_dir}/sm.map) %[path] %[req.hdr(x-v)] if {"{"} req.hdr(x-op) set {"}"}
                http-request del-map({_dir}/sm.map) %[path] if {"{"} req.hdr(x-op) del {"}"}
                http-request add-acl({_dir}/sm.lst) %[req.hdr(x-ip)] if {"{"} req.hdr(x-op) addacl {"}"}
                http-request del-acl({_dir}/sm.lst) %[req.hdr(x-ip)] if {"{"} req.hdr(x-op) delacl {"}"}
                http-request set-map({_dir}/unused.map) k v if {"{"} req.hdr(x-op) unused {"}"}
                http-request return status 200 content-type text/plain lf-string "v=%[path,map({_dir}/sm.map,none)]"
            """;

        async Task<string> Run(int port, string socket)
        {
            string[][] requests =
            [
                ["/a"], ["/a", "x-op: set", "x-v: 2"], ["/a"], ["/b", "x-op: set", "x-v: new"], ["/b"], ["/a", "x-op: del"], ["/a"],
                ["/", "x-op: addacl", "x-ip: 127.0.0.1"], ["/"], ["/", "x-op: delacl", "x-ip: 127.0.0.1"], ["/"],
                ["/", "x-op: addacl", "x-ip: not-an-address"], ["/", "x-op: unused"], ["/b", "x-op: set", "x-v: dup"], ["/c", "x-op: set"],
            ];
            var transcript = new System.Text.StringBuilder();
            foreach (var request in requests)
            {
                var (status, _, body) = await StatsPeers.CurlAsync([.. request.Skip(1).SelectMany(h => new[] { "-H", h }), StatsPeers.Url(port, request[0])]);
                transcript.Append(string.Join(' ', request)).Append(" -> ").Append(status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(body).Append('\n');
            }

            foreach (var command in new[] { "show map", "show acl", $"show map {_dir}/sm.map", $"show acl {_dir}/sm.lst", $"show map {_dir}/unused.map" })
            {
                var answer = (await StatsPeers.UnixAsync(socket, command)).Split('\n').Where(l => !l.Contains("'httpclient'", StringComparison.Ordinal));
                transcript.Append(Address().Replace(ConfigFile().Replace(string.Join('\n', answer).Replace(_dir, "{dir}", StringComparison.Ordinal), "file 'CFG'"), "0xADDR")).Append('\n');
            }

            return transcript.ToString();
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, Run);
        Assert.Contains("/a x-op: set x-v: 2 -> 200 v=2", reference, StringComparison.Ordinal);
        Assert.Contains("/ x-op: addacl x-ip: 127.0.0.1 -> 200 v=none\n/ -> 403 listed", reference, StringComparison.Ordinal);
        Assert.Equal(reference, ours);
    }

    private async Task<string> RunAsync(int port, string socket)
    {
        var transcript = new System.Text.StringBuilder();
        foreach (var step in Steps)
        {
            var text = step.Replace("{dir}", _dir, StringComparison.Ordinal);
            transcript.Append("### ").Append(step).Append('\n');
            if (text.StartsWith("GET ", StringComparison.Ordinal))
            {
                var words = text.Split(' ');
                var headers = words.Length > 2
                    ? (words[2].Contains('/', StringComparison.Ordinal) ? new[] { "-H", "User-Agent: " + words[2] } : ["-H", "X-N: " + words[2]])
                    : ["-H", "User-Agent: curl/8"];
                var (status, _, body) = await StatsPeers.CurlAsync([.. headers, StatsPeers.Url(port, words[1])]);
                transcript.Append(status.ToString(CultureInfo.InvariantCulture)).Append(status == 200 ? " " + body : string.Empty).Append('\n');
                continue;
            }

            var answer = await StatsPeers.UnixAsync(socket, text);
            foreach (var line in answer.Split('\n').Where(l => !l.Contains("'httpclient'", StringComparison.Ordinal)))
            {
                var normalized = ConfigFile().Replace(line.Replace(_dir, "{dir}", StringComparison.Ordinal), "file 'CFG'");
                transcript.Append(Address().Replace(normalized, "0xADDR")).Append('\n');
            }
        }

        return transcript.ToString();
    }

    [GeneratedRegex("file '[^']*\\.cfg'")]
    private static partial Regex ConfigFile();

    [GeneratedRegex("entry_cnt=[0-9]+")]
    private static partial Regex EntryCount();

    [GeneratedRegex("0x[0-9a-f]+")]
    private static partial Regex Address();
}
