using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.Stats;
using Sluice.Transactions;

namespace Sluice.RuntimeApi;

/// <summary>
/// The runtime API's command table (HAProxy's <c>cli_kws</c>) and handlers. Answers are HAProxy's, word for
/// word, so that scripts that check them keep working. HAProxy commands that Sluice lacks answer that they are
/// not supported yet; anything else gets HAProxy's "Unknown command" with the closest commands.
/// </summary>
internal static class CliCommands
{
    public const string PermissionDenied = "Permission denied\n";

    public static readonly CliCommand[] All =
    [
        new(["clear", "counters"], "clear counters [all]", "clear max statistics counters (or all counters)", CliLevel.Operator, ClearCounters),
        new(["disable", "dynamic-cookie", "backend"], "disable dynamic-cookie backend <bk>", "disable dynamic cookies on a specific backend", CliLevel.Admin, (r, o) => SetDynamicCookie(r, o, enabled: false)),
        new(["disable", "frontend"], "disable frontend <frontend>", "temporarily disable specific frontend", CliLevel.Admin, (r, o) => PauseFrontend(r, o, pause: true)),
        new(["disable", "server"], "disable server (DEPRECATED)", "disable a server for maintenance (use 'set server' instead)", CliLevel.Admin, (r, o) => SetAdminState(r, o, 2, ServerAdminState.Maint)),
        new(["enable", "dynamic-cookie", "backend"], "enable dynamic-cookie backend <bk>", "enable dynamic cookies on a specific backend", CliLevel.Admin, (r, o) => SetDynamicCookie(r, o, enabled: true)),
        new(["enable", "frontend"], "enable frontend <frontend>", "re-enable specific frontend", CliLevel.Admin, (r, o) => PauseFrontend(r, o, pause: false)),
        new(["enable", "server"], "enable server  (DEPRECATED)", "enable a disabled server (use 'set server' instead)", CliLevel.Admin, (r, o) => SetAdminState(r, o, 2, ServerAdminState.Ready)),
        new(["get", "weight"], "get weight <bk>/<srv>", "report a server's current weight", CliLevel.User, GetWeight),
        new(["operator"], "operator", "lower the level of the current CLI session to operator", CliLevel.Operator, (r, _) => r.Connection.Level = CliLevel.Operator),
        new(["set", "dynamic-cookie-key", "backend"], "set dynamic-cookie-key backend <bk> <k>", "change a backend secret key for dynamic cookies", CliLevel.Admin, SetDynamicCookieKey),
        new(["set", "maxconn", "global"], "set maxconn global <value>", "change the per-process maxconn setting", CliLevel.Admin, SetMaxConnGlobal),
        new(["set", "maxconn", "frontend"], "set maxconn frontend <frontend> <value>", "change a frontend's maxconn setting", CliLevel.Admin, SetMaxConnFrontend),
        new(["set", "maxconn", "server"], "set maxconn server <bk>/<srv>", "change a server's maxconn setting", CliLevel.Admin, SetMaxConnServer),
        new(["set", "rate-limit"], "set rate-limit <setting> <value>", "change a rate limiting value", CliLevel.Admin, SetRateLimit),
        new(["set", "server"], "set server <bk>/<srv> [opts]", "change a server's state, weight, address or ssl", CliLevel.Admin, SetServer),
        new(["set", "timeout"], "set timeout [cli] <delay>", "change a timeout setting", CliLevel.User, SetTimeout),
        new(["set", "weight"], "set weight <bk>/<srv>  (DEPRECATED)", "change a server's weight (use 'set server' instead)", CliLevel.Admin, (r, o) => SetWeight(r, o, r.Arg(2), r.Arg(3))),
        new(["show", "backend"], "show backend", "list backends in the current running config", CliLevel.User, ShowBackend),
        new(["show", "cli", "level"], "show cli level", "display the level of the current CLI session", CliLevel.User, ShowLevel),
        new(["show", "cli", "sockets"], "show cli sockets", "dump list of cli sockets", CliLevel.User, ShowCliSockets),
        new(["show", "events"], "show events [<sink>] [-w] [-n]", "show event sink state", CliLevel.User, ShowEvents),
        new(["show", "errors"], "show errors [<px>] [request|response]", "report last request and/or response errors for each proxy", CliLevel.Operator, ShowErrors),
        new(["show", "info"], "show info [desc|json|typed|float]*", "report information about the running process", CliLevel.User, ShowInfo),
        new(["show", "pools"], "show pools", "report information about the memory pools usage", CliLevel.User, ShowPools),
        new(["show", "servers", "state"], "show servers state [<backend>]", "dump volatile server information (all or for a single backend)", CliLevel.User, ShowServersState),
        new(["show", "resolvers"], "show resolvers [id]", "dumps counters from all resolvers section and associated name servers", CliLevel.User, ShowResolvers),
        new(["show", "sess"], "show sess [id]", "report the list of current sessions or dump this exact session", CliLevel.Operator, ShowSess),
        new(["show", "stat"], "show stat [desc|json|no-maint|typed|up]*", "report counters for each proxy and server", CliLevel.User, ShowStat),
        new(["show", "version"], "show version", "show version of the current process", CliLevel.User, (_, o) => o.Append(Hosting.BuildInfo.Version).Append('\n')),
        new(["shutdown", "session"], "shutdown session [id]", "kill a specific session", CliLevel.Admin, ShutdownSession),
        new(["shutdown", "sessions", "server"], "shutdown sessions server <bk>/<srv>", "kill sessions on a server", CliLevel.Admin, ShutdownSessionsServer),
        new(["set", "ssl", "cert"], "set ssl cert <certfile> <payload>", "replace a certificate file", CliLevel.Admin, SslCertCommands.SetCert),
        new(["commit", "ssl", "cert"], "commit ssl cert <certfile>", "commit a certificate file", CliLevel.Admin, SslCertCommands.CommitCert),
        new(["abort", "ssl", "cert"], "abort ssl cert <certfile>", "abort a transaction for a certificate file", CliLevel.Admin, SslCertCommands.AbortCert),
        new(["new", "ssl", "cert"], "new ssl cert <certfile>", "create a new certificate file to be used in a crt-list or a directory", CliLevel.Admin, SslCertCommands.NewCert),
        new(["show", "ssl", "cert"], "show ssl cert [<certfile>]", "display the SSL certificates used in memory, or the details of a file", CliLevel.Admin, SslCertCommands.ShowCert),
        new(["add", "ssl", "crt-list"], "add ssl crt-list <list> <cert> [opts]*", "add to crt-list file <list> a line <cert> or a payload", CliLevel.Admin, SslCertCommands.AddCrtList),
        new(["del", "ssl", "crt-list"], "del ssl crt-list <list> <cert[:line]>", "delete a line <cert> from crt-list file <list>", CliLevel.Admin, SslCertCommands.DelCrtList),
        new(["show", "ssl", "crt-list"], "show ssl crt-list [-n] [<list>]", "show the list of crt-lists or the content of a crt-list file <list>", CliLevel.Admin, SslCertCommands.ShowCrtList),
        new(["clear", "table"], "clear table <table> [<filter>]*", "remove an entry from a table (filter: data/key)", CliLevel.Admin, StickTableCommands.Clear),
        new(["set", "table"], "set table <table> key <k> [data.* <v>]*", "update or create a table entry's data", CliLevel.Admin, StickTableCommands.Set),
        new(["show", "table"], "show table <table> [<filter>]*", "report table usage stats or dump this table's contents (filter: data/key)", CliLevel.Operator, StickTableCommands.Show),
        new(["add", "acl"], "add acl [@<ver>] <acl> <pattern>", "add an acl entry", CliLevel.User, (r, o) => PatternCommands.Add(r, o, map: false)),
        new(["add", "map"], "add map [@<ver>] <map> <key> <val>", "add a map entry (payload supported instead of key/val)", CliLevel.User, (r, o) => PatternCommands.Add(r, o, map: true)),
        new(["clear", "acl"], "clear acl [@<ver>] <acl>", "clear the contents of this acl", CliLevel.User, (r, o) => PatternCommands.Clear(r, o, map: false)),
        new(["clear", "map"], "clear map [@<ver>] <map>", "clear the contents of this map", CliLevel.User, (r, o) => PatternCommands.Clear(r, o, map: true)),
        new(["commit", "acl"], "commit acl @<ver> <acl>", "commit the ACL at this version", CliLevel.User, (r, o) => PatternCommands.Commit(r, o, map: false)),
        new(["commit", "map"], "commit map @<ver> <map>", "commit the map at this version", CliLevel.User, (r, o) => PatternCommands.Commit(r, o, map: true)),
        new(["del", "acl"], "del acl <acl> [<key>|#<ref>]", "delete acl entries matching <key>", CliLevel.User, (r, o) => PatternCommands.Delete(r, o, map: false)),
        new(["del", "map"], "del map <map> [<key>|#<ref>]", "delete map entries matching <key>", CliLevel.User, (r, o) => PatternCommands.Delete(r, o, map: true)),
        new(["get", "acl"], "get acl <acl> <value>", "report the patterns matching a sample for an ACL", CliLevel.User, (r, o) => PatternCommands.Get(r, o, map: false)),
        new(["get", "map"], "get map <acl> <value>", "report the keys and values matching a sample for a map", CliLevel.User, (r, o) => PatternCommands.Get(r, o, map: true)),
        new(["prepare", "acl"], "prepare acl <acl>", "prepare a new version for atomic ACL replacement", CliLevel.User, (r, o) => PatternCommands.Prepare(r, o, map: false)),
        new(["prepare", "map"], "prepare map <acl>", "prepare a new version for atomic map replacement", CliLevel.User, (r, o) => PatternCommands.Prepare(r, o, map: true)),
        new(["set", "map"], "set map <map> [<key>|#<ref>] <value>", "modify a map entry", CliLevel.User, PatternCommands.Set),
        new(["show", "acl"], "show acl [@<ver>] <acl>]", "report available acls or dump an acl's contents", CliLevel.User, (r, o) => PatternCommands.Show(r, o, map: false)),
        new(["show", "map"], "show map [@ver] [map]", "report available maps or dump a map's contents", CliLevel.User, (r, o) => PatternCommands.Show(r, o, map: true)),
        new(["user"], "user", "lower the level of the current CLI session to user", CliLevel.User, (r, _) => r.Connection.Level = CliLevel.User),
        new(["help"], "help [<command>]", "list matching or all commands", CliLevel.User, Help),
        new(["prompt"], "prompt", "toggle interactive mode with prompt", CliLevel.User, (r, _) => r.Connection.Interactive = !r.Connection.Interactive),
        new(["quit"], "quit", "disconnect", CliLevel.User, (r, _) => r.Connection.Quit = true),
    ];

    /// <summary>HAProxy 2.6's commands (first words) that Sluice does not implement yet.</summary>
    private static readonly string[][] NotSupported =
    [
        ["abort"], ["add"], ["commit"], ["del"], ["disable", "agent"],
        ["disable", "health"], ["enable", "agent"], ["enable", "health"],
        ["get", "var"], ["new"], ["prepare"],
        ["set", "profiling"], ["set", "severity-output"], ["set", "ssl"],
        ["show", "activity"], ["show", "cache"], ["show", "env"],
        ["show", "fd"], ["show", "libs"], ["show", "peers"], ["show", "profiling"],
        ["show", "schema"], ["show", "servers", "conn"], ["show", "ssl"], ["show", "startup-logs"],
        ["show", "tasks"], ["show", "threads"], ["show", "tls-keys"], ["show", "trace"], ["shutdown", "frontend"],
        ["trace"], ["debug"], ["expert-mode"], ["experimental-mode"], ["mcli-debug-mode"],
    ];

    /// <summary>The command of <see cref="All"/> named by exactly <paramref name="words"/>.</summary>
    internal static CliCommand Named(params string[] words) => All.Single(c => c.Words.AsSpan().SequenceEqual(words));

    /// <summary>Runs one command; <paramref name="output"/> receives its answer (without the closing blank line).</summary>
    public static void Execute(CliRequest request, StringBuilder output) => Execute(request, output, All, NotSupported);

    /// <summary>Runs one command of <paramref name="table"/>, or says it is one of <paramref name="notSupported"/> or unknown.</summary>
    internal static void Execute(CliRequest request, StringBuilder output, CliCommand[] table, string[][] notSupported)
    {
        var args = request.Args;
        CliCommand? best = null;
        foreach (var command in table)
        {
            if (command.Matches(args) && (best is null || command.Words.Length > best.Words.Length))
            {
                best = command;
            }
        }

        if (best is not null)
        {
            if (request.Connection.Level < best.Level)
            {
                output.Append(PermissionDenied);
                return;
            }

            best.Run(request, output);
            return;
        }

        foreach (var words in notSupported)
        {
            if (args.Count >= words.Length && words.AsSpan().SequenceEqual(args.Take(words.Length).ToArray()))
            {
                output.Append('\'').Append(string.Join(' ', args.Take(Math.Max(words.Length, Math.Min(args.Count, 2))))).Append("' is not supported yet.\n");
                return;
            }
        }

        output.Append("Unknown command, but maybe one of the following ones is a better match:\n");
        foreach (var command in table)
        {
            if (command.Level <= request.Connection.Level && args.Count > 0 && command.Words[0] == args[0] && command.Words.Length > 1)
            {
                output.Append(command.HelpLine).Append('\n');
            }
        }

        foreach (var command in table)
        {
            if (command.Words[0] is "help" or "prompt" or "quit")
            {
                output.Append(command.HelpLine).Append('\n');
            }
        }
    }

    private static void Help(CliRequest request, StringBuilder output) => WriteHelp(request, output, All);

    /// <summary>`help [WORDS]`: the commands of <paramref name="table"/> at the session's level, those starting with WORDS.</summary>
    internal static void WriteHelp(CliRequest request, StringBuilder output, CliCommand[] table)
    {
        output.Append("The following commands are valid at this level:\n");
        var filter = request.Args.Skip(1).ToArray();
        foreach (var command in table)
        {
            if (command.Level > request.Connection.Level)
            {
                continue;
            }

            if (filter.Length > 0 && command.Words[0] is not ("help" or "prompt" or "quit") && !command.Matches(filter) && !filter.AsSpan().SequenceEqual(command.Words.Take(filter.Length).ToArray()))
            {
                continue;
            }

            output.Append(command.HelpLine).Append('\n');
        }
    }

    /// <summary>`show resolvers [SECTION]`: each name server's counters, as HAProxy lists them.</summary>
    private static void ShowResolvers(CliRequest request, StringBuilder output)
    {
        var all = request.Hub.Global.Resolvers;
        if (request.Arg(2) is { } name && !all.ContainsKey(name))
        {
            output.Append("Can't find that resolvers section\n");
            return;
        }

        foreach (var resolvers in all.Values)
        {
            if (request.Arg(2) is null || request.Arg(2) == resolvers.Name)
            {
                Resolvers.NameserverCounters.Write(output, resolvers, request.Hub.Resolutions?.CountersOf(resolvers));
            }
        }
    }

    /// <summary>`show cli sockets`: every `stats socket` with its level, as HAProxy names the addresses.</summary>
    private static void ShowCliSockets(CliRequest request, StringBuilder output)
    {
        output.Append("# socket lvl processes\n");
        foreach (var socket in request.Hub.Global.StatsSockets)
        {
            var address = socket.Path is { } path
                ? "unix@" + path
                : socket.EndPoint!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                    ? string.Create(CultureInfo.InvariantCulture, $"ipv6@[{socket.EndPoint.Address}]:{socket.EndPoint.Port}")
                    : string.Create(CultureInfo.InvariantCulture, $"ipv4@{socket.EndPoint.Address}:{socket.EndPoint.Port}");
            output.Append(address).Append(' ').Append(socket.Level.ToString().ToLowerInvariant()).Append(" all\n");
        }
    }

    internal static void ShowLevel(CliRequest request, StringBuilder output) => output.Append(request.Connection.Level switch
    {
        CliLevel.Admin => "admin\n",
        CliLevel.Operator => "operator\n",
        _ => "user\n",
    });

    private static void ClearCounters(CliRequest request, StringBuilder output)
    {
        var all = request.Arg(2) == "all";
        if (all && request.Connection.Level < CliLevel.Admin)
        {
            output.Append(PermissionDenied);
            return;
        }

        request.Hub.ClearCounters(all);
    }

    private static void ShowInfo(CliRequest request, StringBuilder output)
    {
        var options = request.Args.Skip(2).ToHashSet(StringComparer.Ordinal);
        ProcessInfo.Write(request.Hub, output, options.Contains("typed"), options.Contains("json"), options.Contains("desc"));
    }

    private static void ShowStat(CliRequest request, StringBuilder output)
    {
        var typed = false;
        var json = false;
        var up = false;
        var noMaint = false;
        var filters = new List<string>();
        foreach (var word in request.Args.Skip(2))
        {
            switch (word)
            {
                case "typed":
                    typed = true;
                    break;
                case "json":
                    json = true;
                    break;
                case "up":
                    up = true;
                    break;
                case "no-maint":
                    noMaint = true;
                    break;
                case "desc":
                    break;
                default:
                    filters.Add(word);
                    break;
            }
        }

        var rows = StatsRows.Build(request.Hub, withLegends: true);
        if (filters.Count > 0)
        {
            if (filters.Count != 3 || !int.TryParse(filters[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var types)
                || !int.TryParse(filters[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var sid))
            {
                output.Append("Require object type and id.\n");
                return;
            }

            var proxyId = -1;
            if (filters[0] != "-1" && !int.TryParse(filters[0], NumberStyles.None, CultureInfo.InvariantCulture, out proxyId))
            {
                var frontend = request.Hub.FindFrontend(filters[0]);
                var backend = request.Hub.FindBackend(filters[0]);
                if (frontend is null && backend is null)
                {
                    output.Append("No such proxy.\n");
                    return;
                }

                proxyId = backend?.Config.Id ?? frontend!.Config.Id;
            }

            rows = rows.FindAll(r => (proxyId < 0 || r.ProxyId == proxyId)
                && (types < 0 || (types & (1 << (int)r.Type)) != 0)
                && (sid < 0 || r.Type != StatObjectType.Server || r.ServerId == sid));
        }

        if (up || noMaint)
        {
            rows = rows.FindAll(r => r.Type != StatObjectType.Server
                || (up ? r[StatField.Status] is { } s && (s.StartsWith("UP", StringComparison.Ordinal) || s == "no check" || s == "DRAIN") : r[StatField.Status]?.StartsWith("MAINT", StringComparison.Ordinal) != true));
        }

        if (typed)
        {
            StatsCsv.WriteTyped(output, rows);
        }
        else if (json)
        {
            StatsCsv.WriteJson(output, rows);
        }
        else
        {
            StatsCsv.Write(output, rows);
            output.Length--; // The blank line that ends the answer comes from the connection.
        }
    }

    private static void ShowBackend(CliRequest request, StringBuilder output)
    {
        output.Append("# name\n");
        foreach (var backend in request.Hub.Backends)
        {
            output.Append(backend.Name).Append('\n');
        }
    }

    private static void ShowServersState(CliRequest request, StringBuilder output)
    {
        IEnumerable<BackendState> backends = request.Hub.Backends;
        if (request.Arg(3) is { } name)
        {
            var backend = request.Hub.FindBackend(name);
            if (backend is null)
            {
                output.Append("Can't find backend.\n");
                return;
            }

            backends = [backend];
        }

        ServerStateFile.Write(output, backends);
    }

    /// <summary>
    /// `show errors [PROXY] [request|response]`: the last invalid request of each frontend, in HAProxy's layout
    /// (the parser's internal flags aside). Responses are not captured yet, so `response` lists none.
    /// </summary>
    private static void ShowErrors(CliRequest request, StringBuilder output)
    {
        string? proxy = null;
        bool requests = true, responses = true;
        foreach (var word in request.Args.Skip(2))
        {
            switch (word)
            {
                case "request":
                    responses = false;
                    break;
                case "response":
                    requests = false;
                    break;
                default:
                    proxy = word;
                    break;
            }
        }

        if (proxy is not null && proxy != "-1" && request.Hub.FindFrontend(proxy) is null && request.Hub.FindBackend(proxy) is null)
        {
            output.Append("No such proxy.\n");
            return;
        }

        bool Selected(string name) => proxy is null or "-1" || proxy == name;

        // In proxy order, the request side of each before its response side, as HAProxy lists them.
        var events = new List<(int Id, bool Response, string Name, ErrorSnapshot Snapshot)>();
        foreach (var frontend in request.Hub.Frontends)
        {
            if (requests && Selected(frontend.Name) && frontend.Counters.LastRequestError is { } snapshot)
            {
                events.Add((frontend.Config.Id, false, frontend.Name, snapshot));
            }
        }

        foreach (var backend in request.Hub.Backends)
        {
            if (responses && Selected(backend.Config.Name) && backend.Counters.LastResponseError is { } snapshot)
            {
                events.Add((backend.Config.Id, true, backend.Config.Name, snapshot));
            }
        }

        events.Sort((a, b) => a.Id != b.Id ? a.Id.CompareTo(b.Id) : a.Response.CompareTo(b.Response));
        output.Append("Total events captured on [").Append(Date(DateTimeOffset.Now)).Append("] : ")
            .Append(TrafficCounters.CapturedErrors.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var (id, response, name, snapshot) in events)
        {
            output.Append(" \n[").Append(Date(snapshot.When)).Append(response ? "] backend " : "] frontend ").Append(name).Append(" (#")
                .Append(id.ToString(CultureInfo.InvariantCulture)).Append(response ? "): invalid response\n" : "): invalid request\n");
            if (response)
            {
                output.Append("  frontend ").Append(Named(snapshot.Frontend));
            }
            else
            {
                output.Append("  backend <NONE> (#-1)");
            }

            output.Append(", server ").Append(Named(snapshot.Server)).Append(", event #").Append(snapshot.Event.ToString(CultureInfo.InvariantCulture))
                .Append(", src ").Append(snapshot.Source).Append('\n');
            output.Append(string.Create(CultureInfo.InvariantCulture,
                $"  buffer starts at 0 (including 0 out), {Math.Max(0, request.Hub.Global.BufSize - snapshot.Head.Length)} free,\n  len {snapshot.Head.Length}, wraps at {request.Hub.Global.BufSize - request.Hub.Global.MaxRewrite}, error at position {snapshot.ErrorOffset}\n  \n"));
            Dump(output, snapshot.Head);
        }
    }

    private static string Named((string Name, int Id)? proxy) =>
        proxy is var (name, id) ? string.Create(CultureInfo.InvariantCulture, $"{name} (#{id})") : "<NONE> (#-1)";

    private static string Date(DateTimeOffset when) => when.ToString("dd/MMM/yyyy:HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>HAProxy's dump: one line per input line, prefixed by its offset, with non-printable bytes escaped.</summary>
    private static void Dump(StringBuilder output, byte[] bytes)
    {
        var start = true;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (start)
            {
                output.Append("  ").Append(i.ToString("D5", CultureInfo.InvariantCulture)).Append("  ");
                start = false;
            }

            var b = bytes[i];
            switch (b)
            {
                case (byte)'\r':
                    output.Append("\\r");
                    break;
                case (byte)'\n':
                    output.Append("\\n\n");
                    start = true;
                    break;
                case (byte)'\t':
                    output.Append("\\t");
                    break;
                case (byte)'\\':
                    output.Append("\\\\");
                    break;
                case < 0x20 or >= 0x7f:
                    output.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    output.Append((char)b);
                    break;
            }
        }

        if (!start)
        {
            output.Append('\n');
        }
    }

    private static void ShowPools(CliRequest request, StringBuilder output)
    {
        var info = GC.GetGCMemoryInfo();
        var heap = GC.GetTotalMemory(forceFullCollection: false);
        output.Append("Dumping pools usage.\n");
        output.Append(string.Create(CultureInfo.InvariantCulture, $"  - Pool managed-heap : {heap} bytes used, {info.HeapSizeBytes} bytes committed by the garbage collector, {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} collections (gen0/1/2)\n"));
        output.Append(string.Create(CultureInfo.InvariantCulture, $"  - Pool array-pool : shared ArrayPool<byte> of the process (buffers and pipes)\n"));
        output.Append(string.Create(CultureInfo.InvariantCulture, $"Total: 2 pools, {info.HeapSizeBytes} bytes allocated, {heap} used.\n"));
    }

    /// <summary>A session's id in `show sess`: stable for its life, as HAProxy's pointer is.</summary>
    public static string SessionId(ISession session) => string.Create(CultureInfo.InvariantCulture, $"0x{RuntimeHelpers.GetHashCode(session):x8}");

    private static void ShowSess(CliRequest request, StringBuilder output)
    {
        var sessions = request.Hub.Sessions?.Invoke() ?? [];
        var wanted = request.Arg(2);
        foreach (var session in sessions)
        {
            var id = SessionId(session);
            if (wanted is not null && wanted != "all" && wanted != id)
            {
                continue;
            }

            var info = session.Info;
            output.Append(id).Append(": proto=").Append(info.Client is System.Net.Sockets.UnixDomainSocketEndPoint ? "unix_stream" : "tcpv4")
                .Append(" src=").Append(info.Client?.ToString() ?? "-")
                .Append(" fe=").Append(info.Frontend ?? "<NONE>")
                .Append(" be=").Append(info.Backend ?? "<NONE>")
                .Append(" srv=").Append(info.Server ?? "<none>")
                .Append(" type=").Append(session.GetType().Name)
                .Append('\n');
        }
    }

    private static void ShutdownSession(CliRequest request, StringBuilder output)
    {
        var id = request.Arg(2);
        if (id is null)
        {
            output.Append("Session pointer expected (use 'show sess').\n");
            return;
        }

        foreach (var session in request.Hub.Sessions?.Invoke() ?? [])
        {
            if (SessionId(session) == id)
            {
                session.Kill();
                return;
            }
        }

        output.Append("No such session (use 'show sess').\n");
    }

    private static void ShutdownSessionsServer(CliRequest request, StringBuilder output)
    {
        if (FindServer(request, request.Arg(3), output) is not var (backend, server))
        {
            return;
        }

        foreach (var session in request.Hub.Sessions?.Invoke() ?? [])
        {
            var info = session.Info;
            if (info.Backend == backend.Name && info.Server == server.Name)
            {
                session.Kill();
            }
        }
    }

    /// <summary>Resolves `backend/server`, writing HAProxy's message when it cannot.</summary>
    private static (BackendState Backend, ServerState Server)? FindServer(CliRequest request, string? spec, StringBuilder output)
    {
        var slash = spec?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (spec is null || slash <= 0)
        {
            output.Append("Require 'backend/server'.\n");
            return null;
        }

        var backend = request.Hub.FindBackend(spec[..slash]);
        if (backend is null)
        {
            output.Append("No such backend.\n");
            return null;
        }

        var name = spec[(slash + 1)..];
        foreach (var server in backend.Servers)
        {
            if (server.Name == name)
            {
                return (backend, server);
            }
        }

        output.Append("No such server.\n");
        return null;
    }

    private static void SetAdminState(CliRequest request, StringBuilder output, int index, ServerAdminState state)
    {
        if (FindServer(request, request.Arg(index), output) is var (_, server))
        {
            server.AdminState = state;
        }
    }

    private static void GetWeight(CliRequest request, StringBuilder output)
    {
        if (FindServer(request, request.Arg(2), output) is var (_, server))
        {
            output.Append(string.Create(CultureInfo.InvariantCulture, $"{server.Weight} (initial {server.InitialWeight})\n"));
        }
    }

    private static void SetWeight(CliRequest request, StringBuilder output, string? spec, string? value)
    {
        if (FindServer(request, spec, output) is var (_, server) && WeightChange.Apply(server, value) is { } complaint)
        {
            output.Append(complaint);
        }
    }

    private static void SetServer(CliRequest request, StringBuilder output)
    {
        if (FindServer(request, request.Arg(2), output) is not var (_, server))
        {
            return;
        }

        switch (request.Arg(3))
        {
            case "state":
                var state = request.Arg(4) switch
                {
                    "ready" => ServerAdminState.Ready,
                    "drain" => ServerAdminState.Drain,
                    "maint" => ServerAdminState.Maint,
                    _ => (ServerAdminState?)null,
                };
                if (state is null)
                {
                    output.Append("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n");
                    return;
                }

                server.AdminState = state.Value;
                return;
            case "weight":
                SetWeight(request, output, request.Arg(2), request.Arg(4));
                return;
            case "addr":
                SetServerAddress(request, output, server);
                return;
            case "health" or "agent" or "agent-addr" or "agent-port" or "agent-send" or "check-addr" or "check-port" or "fqdn" or "ssl":
                output.Append("'set server ").Append(request.Arg(3)).Append("' is not supported yet.\n");
                return;
            default:
                output.Append("usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n");
                return;
        }
    }

    /// <summary>
    /// `set server B/S addr IP [port N]`: later connections and checks go to the new address (HAProxy's
    /// update_server_addr_port); the answer says what changed, in HAProxy's words.
    /// </summary>
    private static void SetServerAddress(CliRequest request, StringBuilder output, ServerState server)
    {
        if (request.Arg(4) is not { } text)
        {
            output.Append("set server <b>/<s> addr requires an address and optionally a port.\n");
            return;
        }

        if (!System.Net.IPAddress.TryParse(text, out var ip) || text.Contains('/', StringComparison.Ordinal))
        {
            output.Append("Invalid addr '").Append(text).Append("' by 'stats socket command'\n");
            return;
        }

        if (server.Address is not InetServerAddress inet)
        {
            output.Append("'set server addr' is not supported yet on a server reached over a unix socket.\n");
            return;
        }

        var ipChanged = !inet.Address.Equals(ip);
        output.Append(!ipChanged
            ? "no need to change the addr"
            : $"IP changed from '{inet.Address}' to '{ip}'");
        var port = inet.Port;
        if (request.Arg(5) == "port")
        {
            var portText = request.Arg(6) ?? string.Empty;
            if (!long.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var wanted))
            {
                output.Append(", problem converting port '").Append(portText).Append("' to an int");
            }
            else
            {
                // HAProxy stores the port in 16 bits, so a larger number wraps.
                port = (int)(wanted & 0xFFFF);
                output.Append(port == inet.Port
                    ? ", no need to change the port"
                    : string.Create(CultureInfo.InvariantCulture, $", port changed from '{inet.Port}' to '{port}'"));
            }
        }

        output.Append(" by 'stats socket command'\n");
        if (ipChanged || port != inet.Port)
        {
            server.Address = inet with { Address = ip, Port = port, Text = Config.Parsing.AddressParser.FormatEndPoint(ip, port) };
        }
    }

    private static void SetMaxConnServer(CliRequest request, StringBuilder output)
    {
        if (FindServer(request, request.Arg(3), output) is not var (_, server))
        {
            return;
        }

        if (request.Arg(4) is not { } text)
        {
            output.Append("Require <maxconn>.\n");
            return;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var max))
        {
            output.Append("maxconn string empty or preceded by garbage\n");
            return;
        }

        server.MaxConn = max;
    }

    /// <summary>
    /// HAProxy's `set rate-limit connections|sessions|ssl-sessions global N`: the process-wide rate limits, 0 for
    /// none. The value is read as HAProxy's atoi reads it (leading digits, else 0).
    /// </summary>
    private static void SetRateLimit(CliRequest request, StringBuilder output)
    {
        var accept = request.Hub.Accept;
        if (request.Arg(3) != "global" || request.Arg(2) is not ("connections" or "sessions" or "ssl-sessions" or "http-compression"))
        {
            output.Append("'set rate-limit' only supports :\n")
                .Append("   - 'connections global' to set the per-process maximum connection rate\n")
                .Append("   - 'sessions global' to set the per-process maximum session rate\n")
                .Append("   - 'ssl-sessions global' to set the per-process maximum SSL session rate\n")
                .Append("   - 'http-compression global' to set the per-process maximum compression speed in kB/s\n");
            return;
        }

        if (request.Arg(4) is not { } text)
        {
            output.Append("Expects an integer value.\n");
            return;
        }

        var negative = text.StartsWith('-');
        var digits = negative ? text[1..] : text;
        var length = 0;
        while (length < digits.Length && char.IsAsciiDigit(digits[length]))
        {
            length++;
        }

        _ = int.TryParse(digits.AsSpan(0, length), NumberStyles.None, CultureInfo.InvariantCulture, out var value);
        if (negative && value > 0)
        {
            output.Append("Value out of range.\n");
            return;
        }

        switch (request.Arg(2))
        {
            case "connections":
                accept.MaxConnRate = value;
                break;
            case "sessions":
                accept.MaxSessRate = value;
                break;
            case "ssl-sessions":
                accept.MaxSslRate = value;
                break;
            default:
                output.Append("'set rate-limit http-compression' is not supported yet.\n");
                break;
        }
    }

    /// <summary>HAProxy's `set maxconn global`: within the configured maxconn; 0 or less restores it.</summary>
    private static void SetMaxConnGlobal(CliRequest request, StringBuilder output)
    {
        if (request.Arg(3) is not { } text || !int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var max))
        {
            output.Append("Expects an integer value.\n");
            return;
        }

        if (request.Hub.GlobalLimit is not { } limit)
        {
            output.Append("'set maxconn global' is not supported yet without a global 'maxconn' in the configuration.\n");
            return;
        }

        var hard = request.Hub.Global.MaxConn;
        if (max > hard)
        {
            output.Append("Value out of range.\n");
            return;
        }

        limit.Resize(max <= 0 ? hard : max);
    }

    private static void SetMaxConnFrontend(CliRequest request, StringBuilder output)
    {
        if (request.Arg(3) is not { } name)
        {
            output.Append("A frontend name is expected.\n");
            return;
        }

        var frontend = request.Hub.FindFrontend(name);
        if (frontend is null)
        {
            output.Append("No such frontend.\n");
            return;
        }

        if (request.Arg(4) is not { } text)
        {
            output.Append("Integer value expected.\n");
            return;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var max) || max < 1)
        {
            output.Append("Value out of range.\n");
            return;
        }

        if (frontend.Limit is not { } limit)
        {
            output.Append("'set maxconn frontend' is not supported yet on a frontend without its own 'maxconn'.\n");
            return;
        }

        limit.Resize(max);
    }

    /// <summary>`enable|disable dynamic-cookie backend B` (HAProxy's messages; a backend without `cookie` takes it and nothing changes).</summary>
    private static void SetDynamicCookie(CliRequest request, StringBuilder output, bool enabled)
    {
        if (BackendArgument(request, output) is { } backend)
        {
            backend.Cookie?.SetDynamic(enabled);
        }
    }

    /// <summary>`set dynamic-cookie-key backend B KEY`: the servers' dynamic values are computed again with KEY.</summary>
    private static void SetDynamicCookieKey(CliRequest request, StringBuilder output)
    {
        if (BackendArgument(request, output) is not { } backend)
        {
            return;
        }

        if (request.Arg(4) is not { } key)
        {
            output.Append("String value expected.\n");
            return;
        }

        backend.Cookie?.SetDynamicKey(key);
    }

    /// <summary>The backend named by the fourth word, or null with HAProxy's answer written.</summary>
    private static BackendState? BackendArgument(CliRequest request, StringBuilder output)
    {
        if (request.Arg(3) is not { } name)
        {
            output.Append("A backend name is expected.\n");
            return null;
        }

        var backend = request.Hub.FindBackend(name);
        if (backend is null)
        {
            output.Append("No such backend.\n");
        }

        return backend;
    }

    private static void PauseFrontend(CliRequest request, StringBuilder output, bool pause)
    {
        if (request.Arg(2) is not { } name)
        {
            output.Append("A frontend name is expected.\n");
            return;
        }

        var frontend = request.Hub.FindFrontend(name);
        if (frontend is null)
        {
            output.Append("No such frontend.\n");
            return;
        }

        if (frontend.Paused == pause)
        {
            output.Append(pause ? "All sockets are already disabled.\n" : "All sockets are already enabled.\n");
            return;
        }

        frontend.Paused = pause;
    }

    private static void SetTimeout(CliRequest request, StringBuilder output)
    {
        if (request.Arg(2) != "cli")
        {
            output.Append("'set timeout' only supports 'cli'.\n");
            return;
        }

        if (request.Arg(3) is not { } text || Config.Keywords.ValueParsers.ParseTime(text, out var value) is not null || value <= TimeSpan.Zero)
        {
            output.Append("Expects an integer value.\n");
            return;
        }

        request.Connection.Timeout = value;
    }

    /// <summary>
    /// `show events`: the sinks (stdout, stderr, the rings); `show events RING [-w] [-n]`: the ring's events, one per
    /// line, from the oldest kept (`-n`: from now on), then with `-w` the new ones as they come until the client
    /// sends anything or leaves. HAProxy's words, its errors without a newline of their own.
    /// </summary>
    private static void ShowEvents(CliRequest request, StringBuilder output)
    {
        if (request.Arg(2) is not { } name)
        {
            output.Append("Supported events sinks are listed below. Add -w(wait), -n(new). Any key to stop\n");
            output.Append(CultureInfo.InvariantCulture, $"    {"stdout",-10} : type=fd, 0 dropped, standard output (fd#1)\n");
            output.Append(CultureInfo.InvariantCulture, $"    {"stderr",-10} : type=fd, 0 dropped, standard output (fd#2)\n");
            foreach (var ring in Logging.Ring.Current)
            {
                output.Append(CultureInfo.InvariantCulture, $"    {ring.Config.Name,-10} : type=buffer, {ring.Dropped} dropped, {ring.Description}\n");
            }

            return;
        }

        if (request.Connection.Level < CliLevel.Operator)
        {
            output.Append(PermissionDenied);
            return;
        }

        if (name is "stdout" or "stderr")
        {
            output.Append("Nothing to report for this sink");
            return;
        }

        if (Logging.Ring.Current.FirstOrDefault(r => r.Config.Name == name) is not { } found)
        {
            output.Append("No such event sink");
            return;
        }

        var (wait, fromEnd) = (false, false);
        foreach (var option in request.Args.Skip(3))
        {
            if (option is not ("-w" or "-n" or "-wn" or "-nw"))
            {
                output.Append("unknown option");
                return;
            }

            wait |= option.Contains('w', StringComparison.Ordinal);
            fromEnd |= option.Contains('n', StringComparison.Ordinal);
        }

        var cursor = found.Start(fromEnd);
        using var lines = new MemoryStream();
        found.ReadLines(ref cursor, lines);
        output.Append(Encoding.Latin1.GetString(lines.GetBuffer(), 0, (int)lines.Length));
        if (wait)
        {
            request.Connection.Follow = (found, cursor);
        }
    }
}
