using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Config.Sections;
using Sluice.Hosting;

namespace Sluice.Config;

/// <summary>
/// Turns the parsed sections into the immutable runtime model and checks what only the whole
/// configuration can tell: references between proxies, modes that cannot work together, missing timeouts.
/// Every problem is reported; the model is returned only when there is no alert.
/// </summary>
internal static class ConfigBuilder
{
    private const string MissingTimeoutsAdvice =
        "\n   | While not properly invalid, you will certainly encounter various problems" +
        "\n   | with such a configuration. To fix this, please ensure that all following" +
        "\n   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.";

    public static SluiceConfig? Build(GlobalConfig global, IReadOnlyList<ProxySection> sections, DiagnosticBag diagnostics, IReadOnlyDictionary<string, HttpErrorsSection>? httpErrors = null,
        IReadOnlyList<RingConfig>? rings = null)
    {
        global = global with { Rings = CheckRings(rings ?? [], global, sections, diagnostics) };
        var errorPages = ResolveErrorPages(sections, httpErrors ?? new Dictionary<string, HttpErrorsSection>(), diagnostics);
        var ids = AssignIds(sections, diagnostics, reserveCli: global.StatsSockets.Count > 0);
        var backends = new Dictionary<string, (BackendConfig Config, ProxySection Section)>(StringComparer.Ordinal);
        var backendList = new List<BackendConfig>();
        var reachingMaxConn = SumReachingMaxConn(global, sections);
        ResolveTrackedTables(sections, diagnostics);
        ResolveDoResolveSections(sections, global, diagnostics);
        foreach (var section in sections)
        {
            if (!section.IsBackend)
            {
                continue;
            }

            var backend = BuildBackend(section, ids[section], diagnostics, reachingMaxConn.GetValueOrDefault(section.Name), global, errorPages[section]);
            backends[section.Name] = (backend, section);
            backendList.Add(backend);
        }

        ResolveTrackedServers(backendList, diagnostics);

        // Messages about each proxy come together, proxy after proxy, as HAProxy's check of the whole
        // configuration prints them.
        var frontends = new List<FrontendConfig>();
        foreach (var section in sections)
        {
            if (section.IsFrontend)
            {
                frontends.Add(BuildFrontend(section, ids[section], backends, diagnostics, global, errorPages[section]));
            }

            WarnLayer6InHttp(section, diagnostics);
            WarnMissingTimeouts(section, diagnostics);
            WarnHttpOnlySettings(section, diagnostics);
            if (section.StatsPage is { HttpRequestRules.Count: > 0 } page && (page.Users is not null || page.Realm != StatsPageConfig.DefaultRealm))
            {
                diagnostics.ConfigAlert($"proxy '{section.Name}': stats 'auth'/'realm' and 'http-request' can't be used at the same time.");
            }
            CheckBindProtocols(section, diagnostics);
        }

        if (diagnostics.HasAlerts)
        {
            return null;
        }

        return new SluiceConfig { Global = global, Frontends = frontends, Backends = backendList };
    }

    /// <summary>`do-resolve` rules find their `resolvers` section by name; HAProxy's alert for an unknown one.</summary>
    private static void ResolveDoResolveSections(IReadOnlyList<ProxySection> sections, GlobalConfig global, DiagnosticBag diagnostics)
    {
        var rules = sections.Where(s => s.Kind != ProxyKinds.Defaults)
            .SelectMany(s => s.HttpRequestRules.Select(r => r.Action).OfType<Sluice.Rules.Actions.DoResolveAction>()
                .Concat(s.TcpContentRules.Select(r => r.Resolve).OfType<Sluice.Rules.Actions.DoResolveAction>())
                .Select(a => (Section: s, Action: a)));
        foreach (var (section, resolve) in rules)
        {
            if (global.Resolvers.TryGetValue(resolve.ResolversName, out var resolvers))
            {
                resolve.Resolvers = resolvers;
            }
            else
            {
                diagnostics.ConfigAlert($"Proxy '{section.Name}': Can't find resolvers section '{resolve.ResolversName}' for do-resolve action.");
            }
        }
    }

    /// <summary>
    /// Each proxy's error pages: its error page lines applied in order (its defaults' first), `errorfiles` names
    /// looked up among the `http-errors` sections; and the `errorfiles` replies of its rules bound to their
    /// section's page. Messages are HAProxy's.
    /// </summary>
    private static Dictionary<ProxySection, IReadOnlyDictionary<int, HttpReturnRule>> ResolveErrorPages(
        IReadOnlyList<ProxySection> sections, IReadOnlyDictionary<string, HttpErrorsSection> httpErrors, DiagnosticBag diagnostics)
    {
        var resolved = new Dictionary<ProxySection, IReadOnlyDictionary<int, HttpReturnRule>>();
        foreach (var section in sections)
        {
            if (section.Kind == ProxyKinds.Defaults)
            {
                continue;
            }

            foreach (var rule in section.HttpRequestRules.Concat(section.HttpResponseRules))
            {
                if (rule.Action is not Sluice.Rules.Actions.ReplyAction { Spec.ErrorFilesName: { } name } reply)
                {
                    continue;
                }

                if (!httpErrors.TryGetValue(name, out var errors))
                {
                    diagnostics.ConfigAlert($"Proxy '{section.Name}': unknown http-errors section '{name}' referenced by an http reply .");
                    continue;
                }

                reply.Spec.ErrorFilesReply = errors.Replies.GetValueOrDefault(reply.Spec.Status);
                if (reply.Spec.ErrorFilesReply is null)
                {
                    diagnostics.ConfigWarning($"Proxy '{section.Name}': status '{reply.Spec.Status}' referenced by an http reply not declared in http-errors section '{name}'.");
                }
            }

            var pages = new Dictionary<int, HttpReturnRule>();
            foreach (var entry in section.ErrorPages)
            {
                switch (entry)
                {
                    case ErrorPageReply { Reply: { } page } reply:
                        pages[reply.Status] = page;
                        break;
                    case ErrorPageReply reply:
                        // The built-in page again, or the frontend's when a backend has none.
                        pages.Remove(reply.Status);
                        break;
                    case ErrorPageSectionReference reference when !httpErrors.TryGetValue(reference.SectionName, out _):
                        diagnostics.ConfigAlert($"proxy '{section.Name}': unknown http-errors section '{reference.SectionName}' (at {reference.Location}).");
                        break;
                    case ErrorPageSectionReference reference:
                        var errors = httpErrors[reference.SectionName];
                        if (reference.Statuses.Count == 0)
                        {
                            foreach (var (status, page) in errors.Replies)
                            {
                                pages[status] = page;
                            }

                            break;
                        }

                        foreach (var status in reference.Statuses)
                        {
                            if (errors.Replies.TryGetValue(status, out var page))
                            {
                                pages[status] = page;
                            }
                            else
                            {
                                diagnostics.ConfigWarning($"config: proxy '{section.Name}' : status '{status}' not declared in http-errors section '{reference.SectionName}' (at {reference.Location}).");
                            }
                        }

                        break;
                }
            }

            resolved[section] = pages.Count == 0 ? FrontendConfig.EmptyErrorFiles : pages;
        }

        return resolved;
    }

    /// <summary>`track-scN ... [table T]` and `stick ... [table T]`: T, or the rule's own proxy's table, must exist.</summary>
    private static void ResolveTrackedTables(IReadOnlyList<ProxySection> sections, DiagnosticBag diagnostics)
    {
        var tables = new Dictionary<string, Sluice.Backends.StickTable>(StringComparer.Ordinal);
        foreach (var section in sections)
        {
            if (section.StickTable is { } table && section.Kind != ProxyKinds.Defaults)
            {
                tables[section.Name] = table;
            }
        }

        foreach (var section in sections)
        {
            if (section.Kind == ProxyKinds.Defaults)
            {
                continue;
            }

            foreach (var rule in section.HttpRequestRules)
            {
                if (rule.Action is not Sluice.Rules.Actions.TrackScAction track)
                {
                    continue;
                }

                track.Table = FindTrackedTable(tables, section, track.TableName, track.Index, diagnostics);
            }

            foreach (var rule in section.StickRules)
            {
                var name = rule.TableName ?? section.Name;
                if (!tables.TryGetValue(name, out var table))
                {
                    diagnostics.ConfigAlert($"Proxy '{section.Name}': unable to find stick-table '{name}'.");
                    continue;
                }

                table.StoreServers();
                rule.Table = table;
            }

            foreach (var rules in (List<Sluice.Rules.Actions.TcpRule>[])[section.TcpConnectionRules, section.TcpSessionRules, section.TcpContentRules])
            {
                foreach (var rule in rules)
                {
                    if (rule.Action == Sluice.Rules.Actions.TcpRuleAction.TrackSc)
                    {
                        rule.Table = FindTrackedTable(tables, section, rule.TableName, rule.TrackIndex, diagnostics);
                    }
                }
            }
        }
    }

    private static Sluice.Backends.StickTable? FindTrackedTable(Dictionary<string, Sluice.Backends.StickTable> tables, ProxySection section, string? tableName, int index, DiagnosticBag diagnostics)
    {
        var name = tableName ?? section.Name;
        if (tables.TryGetValue(name, out var found))
        {
            return found;
        }

        diagnostics.ConfigAlert($"{section.MessageKind} '{section.Name}': unable to find table '{name}' referenced by track-sc{index}.");
        return null;
    }

    /// <summary>
    /// For each backend, the sum of the `maxconn` of the frontends that can send to it (default_backend, static
    /// use_backend, or the listen section itself): HAProxy's default `fullconn` is a tenth of it.
    /// </summary>
    private static Dictionary<string, int> SumReachingMaxConn(GlobalConfig global, IReadOnlyList<ProxySection> sections)
    {
        var sums = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var section in sections)
        {
            if (!section.IsFrontend)
            {
                continue;
            }

            var maxConn = section.MaxConn > 0 ? section.MaxConn : global.MaxConn > 0 ? global.MaxConn : 1024;
            var reached = new HashSet<string>(StringComparer.Ordinal);
            if (section.IsBackend)
            {
                reached.Add(section.Name);
            }

            if (section.DefaultBackend is { } defaultBackend)
            {
                reached.Add(defaultBackend.Name);
            }

            foreach (var rule in section.UseBackends)
            {
                if (rule.DynamicName is null)
                {
                    reached.Add(rule.Name);
                }
            }

            foreach (var name in reached)
            {
                sums[name] = (int)Math.Min(int.MaxValue, (long)sums.GetValueOrDefault(name) + maxConn);
            }
        }

        return sums;
    }


    /// <summary>
    /// Proxy ids: the one given with <c>id</c>, otherwise the first free number from 1 in declaration order. With a
    /// `stats socket`, HAProxy's own CLI proxy ("GLOBAL") takes the first free number before the others (<paramref name="reserveCli"/>).
    /// </summary>
    private static Dictionary<ProxySection, int> AssignIds(IReadOnlyList<ProxySection> sections, DiagnosticBag diagnostics, bool reserveCli)
    {
        var ids = new Dictionary<ProxySection, int>();
        var used = new Dictionary<int, ProxySection>();
        foreach (var section in sections)
        {
            if (section.Id is { } id)
            {
                if (used.TryGetValue(id, out var other))
                {
                    diagnostics.Alert(section.Location.File, section.Location.Line, $"{section.MessageKind} '{section.Name}' has the same id {id} as {other.MessageKind} '{other.Name}' declared at {other.Location}.");
                }

                used[id] = section;
                ids[section] = id;
            }
        }

        var next = 1;
        if (reserveCli)
        {
            while (used.ContainsKey(next))
            {
                next++;
            }

            next++;
        }

        foreach (var section in sections)
        {
            if (ids.ContainsKey(section))
            {
                continue;
            }

            while (used.ContainsKey(next))
            {
                next++;
            }

            ids[section] = next;
            used[next] = section;
        }

        return ids;
    }

    /// <summary>
    /// The `ring` sections as HAProxy checks them: an event length beyond the size is the size, a ring that forwards
    /// to servers without both timeouts is warned about as a backend would be; a `log ring@NAME` of no ring is an alert.
    /// </summary>
    private static List<RingConfig> CheckRings(IReadOnlyList<RingConfig> rings, GlobalConfig global, IReadOnlyList<ProxySection> sections, DiagnosticBag diagnostics)
    {
        var checkedRings = new List<RingConfig>(rings.Count);
        foreach (var ring in rings)
        {
            var ok = ring;
            if (ring.MaxLength > ring.Size)
            {
                diagnostics.ConfigWarning($"ring '{ring.Name}' event max length '{ring.MaxLength}' exceeds size, forced to size '{ring.Size}'.");
                ok = ring with { MaxLength = ring.Size };
            }

            if (ring.Servers.Count > 0 && (ring.ConnectTimeout is null || ring.ServerTimeout is null))
            {
                diagnostics.ConfigWarning($"missing timeouts for backend '{ring.Name}'.{MissingTimeoutsAdvice}");
            }

            checkedRings.Add(ok);
        }

        bool Known(Sluice.Logging.LogTarget target) =>
            target.Kind != Sluice.Logging.LogTargetKind.Ring || target.RingName == Sluice.Logging.Ring.DefaultName || rings.Any(r => r.Name == target.RingName);
        foreach (var target in global.LogTargets.Where(t => !Known(t)))
        {
            diagnostics.ConfigAlert($"global log server declared in file '{target.Declared.File}' at line {target.Declared.Line} uses unknown ring named '{target.RingName}'.");
        }

        foreach (var section in sections.Where(s => s.Kind != ProxyKinds.Defaults))
        {
            foreach (var target in section.LogTargets.Where(t => !Known(t)))
            {
                diagnostics.ConfigAlert($"log server declared in proxy section '{section.Name}' in file '{target.Declared.File}' at line {target.Declared.Line} uses unknown ring named '{target.RingName}'.");
            }
        }

        return checkedRings;
    }

    /// <summary>
    /// HAProxy's warning for a rule condition that reads raw bytes (`req.len`, `res.payload`) in an HTTP proxy: the
    /// messages are parsed there, no such bytes are kept, and the fetches find nothing.
    /// </summary>
    private static void WarnLayer6InHttp(ProxySection section, DiagnosticBag diagnostics)
    {
        if (section.Mode != ProxyMode.Http || section.Kind == ProxyKinds.Defaults)
        {
            return;
        }

        var conditions = section.UseBackends.Select(r => (r.Condition, Location: r.Location.ToString()))
            .Concat(section.TcpConnectionRules.Concat(section.TcpSessionRules).Concat(section.TcpContentRules).Concat(section.TcpResponseRules)
                .Select(r => (r.Condition, r.Location)))
            .Concat(section.HttpRequestRules.Concat(section.HttpResponseRules).Select(r => (r.Condition, r.Location)));
        foreach (var (condition, location) in conditions)
        {
            if (condition is not null && (condition.Needs & (Sluice.Rules.Samples.SampleSources.RequestBuffer | Sluice.Rules.Samples.SampleSources.ResponseBuffer)) != 0)
            {
                diagnostics.ConfigWarning($"Proxy '{section.Name}': L6 sample fetches ignored on HTTP proxies (declared at {location}).");
            }
        }
    }

    /// <summary>
    /// `option transparent`: HAProxy balances no request then, so a `balance` line (its own or its defaults') is its
    /// alert. The destination is reached as a server at `0.0.0.0` would be, with the backend's `default-server`
    /// settings, under HAProxy's name for no server in logs.
    /// </summary>
    private static ServerConfig? TransparentTarget(ProxySection section, DiagnosticBag diagnostics)
    {
        if (!section.Transparent)
        {
            return null;
        }

        if (!ReferenceEquals(section.Balance, BalanceConfig.Default))
        {
            diagnostics.ConfigAlert($"{section.MessageKind} '{section.Name}' cannot use both transparent and balance mode.");
            return null;
        }

        var defaults = section.DefaultServer;
        return new ServerConfig
        {
            Name = "<NOSRV>",
            Location = section.Location.ToString(),
            Address = new InetServerAddress { Text = "0.0.0.0", Address = System.Net.IPAddress.Any, Port = 0 },
            Id = 0,
            Source = defaults.Source,
            SendProxy = defaults.SendProxy,
            Socks4 = defaults.Socks4,
            Proto = defaults.Proto,
            Tls = defaults.TlsConnector,
        };
    }

    private static BackendConfig BuildBackend(ProxySection section, int id, DiagnosticBag diagnostics, int reachingMaxConn, GlobalConfig global, IReadOnlyDictionary<int, HttpReturnRule> errorPages)
    {
        if (section.Mode == ProxyMode.Http && (section.RdpPersistCookie is not null || section.Balance.Algorithm == BalanceAlgorithm.RdpCookie))
        {
            // HAProxy reads the cookie from raw bytes, which an HTTP stream does not have: it never finds one there.
            diagnostics.ConfigWarning($"{section.MessageKind} '{section.Name}' : RDP cookies are only read in mode tcp; '{(section.RdpPersistCookie is not null ? "persist" : "balance")} rdp-cookie' has no effect in mode http.");
        }

        foreach (var rule in section.UseServers)
        {
            if (rule.ServerName is { } name && !section.Servers.Exists(s => s.Name == name))
            {
                diagnostics.ConfigAlert($"{section.MessageKind} '{section.Name}' : unable to find server '{name}' referenced in a 'use-server' rule.");
            }
        }

        var servers = new List<ServerConfig>(section.Servers.Count);
        for (var i = 0; i < section.Servers.Count; i++)
        {
            var line = section.Servers[i];
            ResolversConfig? resolvers = null;
            if (line.Options.Resolvers is { } resolversName && !global.Resolvers.TryGetValue(resolversName, out resolvers))
            {
                diagnostics.ConfigAlert($"{section.MessageKind} '{section.Name}', server '{line.Name}': unable to find required resolvers '{resolversName}'");
            }

            var hostName = (line.Address as InetServerAddress)?.Fqdn;
            servers.Add(new ServerConfig
            {
                Resolvers = hostName is null && line.SrvRecord is null ? null : resolvers,
                HostName = hostName,
                SrvRecord = line.SrvRecord,
                ResolvePreferIpv4 = line.Options.ResolvePreferIpv4,
                AllowDuplicateIp = line.Options.AllowDuplicateIp,
                IgnoreSrvWeight = line.Options.IgnoreSrvWeight,
                ResolveNets = line.Options.ResolveNets ?? [],
                Name = line.Name,
                Location = line.Location.ToString(),
                Address = line.Address,
                Id = i + 1,
                Weight = line.Options.Weight,
                MaxConn = line.Options.MaxConn,
                MaxQueue = line.Options.MaxQueue,
                Cookie = section.Mode == ProxyMode.Http ? line.Options.Cookie : null,
                // HAProxy: a `minconn` above `maxconn` is `maxconn`.
                MinConn = line.Options.MaxConn > 0 ? Math.Min(line.Options.MinConn, line.Options.MaxConn) : 0,
                Backup = line.Options.Backup,
                Disabled = line.Options.Disabled,
                Source = line.Options.Source,
                PoolMaxConn = line.Options.PoolMaxConn,
                PoolPurgeDelay = line.Options.PoolPurgeDelay,
                MaxReuse = line.Options.MaxReuse,
                Proto = line.Options.Proto,
                WebSocket = line.Options.WebSocket,
                SendProxy = line.Options.SendProxy,
                Socks4 = line.Options.Socks4,
                Check = line.Options.Check,
                Tls = line.Options.TlsConnector,
            });
        }

        if (section.CheckProtocol != CheckProtocol.Http && section.HttpCheckRules.Count > 0)
        {
            diagnostics.ConfigWarning($"{section.MessageKind} '{section.Name}' uses http-check rules without 'option httpchk', so the rules are ignored.");
        }

        var checkRules = CheckRulesBuilder.Build(section);
        var usesSslRule = false;
        foreach (var rule in checkRules)
        {
            usesSslRule |= rule is CheckConnectRule { Ssl: true };
        }

        // HAProxy cannot check a server whose port is the client's (or an offset of it) without `port`.
        foreach (var server in servers)
        {
            if (server.Check.Enabled && usesSslRule && server.Tls is null)
            {
                // The handshake of a `connect ssl` step takes the server's TLS settings (`ca-file`, `verify`).
                diagnostics.ConfigAlert($"config: {section.MessageKind} '{section.Name}': server '{server.Name}': 'tcp-check connect ssl' on a server without 'ssl' or 'check-ssl' is not supported yet.");
            }

            if (server.Check.Enabled && server.Check.Port == 0 && server.Address is InetServerAddress { Port: 0 } or InetServerAddress { PortIsOffset: true })
            {
                diagnostics.ConfigAlert($"config: {section.MessageKind} '{section.Name}': server '{server.Name}' has neither service port nor check port.");
            }
        }

        var http = section.Mode == ProxyMode.Http;
        return new BackendConfig
        {
            Name = section.Name,
            // Only the targets serve here: the frontend side reports what the format choice needs.
            Log = Sections.LogKeywordParsers.Build(section, global, _ => { }),
            Location = section.Location.ToString(),
            Id = id,
            Mode = section.Mode,
            Balance = section.Balance,
            HashType = section.HashType,
            HashBalanceFactor = section.HashBalanceFactor,
            LoadServerState = section.LoadServerState,
            ServerStateFileName = section.ServerStateFileName,
            Servers = servers,
            Timeouts = section.Timeouts,
            Retries = section.Retries,
            Redispatch = section.Redispatch,
            Cookie = http && section.Cookie is { } cookie ? cookie with { DynamicKey = section.DynamicCookieKey } : null,
            StickTable = section.StickTable,
            StickRules = section.StickRules,
            UseServerRules = section.UseServers,
            PersistRules = section.PersistRules,
            Persist = section.Persist,
            RdpPersistCookie = section.RdpPersistCookie is { } rdpCookie && !http ? System.Text.Encoding.Latin1.GetBytes(rdpCookie) : null,
            FullConn = section.FullConn > 0 ? section.FullConn : Math.Max(1, reachingMaxConn / 10),
            AllBackups = section.AllBackups,
            TransparentTarget = TransparentTarget(section, diagnostics),
            ServerKeepAlive = section.ServerTcpKeepAlive ? section.ServerKeepAliveTuning : null,
            NoLinger = section.NoLinger,
            Splice = global.NoSplice ? SpliceMode.None : section.Splice,
            LogHealthChecks = section.LogHealthChecks,
            Source = section.Source,
            Disabled = section.Disabled,
            Description = section.Description,
            HttpConnectionMode = section.HttpConnectionMode,
            // HAProxy ignores the HTTP-only settings of a tcp proxy (see WarnHttpOnlySettings).
            ForwardFor = http ? section.ForwardFor : null,
            OriginalTo = http ? section.OriginalTo : null,
            HttpBufferRequest = http && section.HttpBufferRequest,
            AcceptInvalidHttpResponse = http && section.AcceptInvalidHttpResponse,
            RestrictRequestHeaderNames = http ? section.RestrictRequestHeaderNames : HeaderNamePolicy.Preserve,
            HttpReuse = section.HttpReuse,
            RetryOn = section.RetryOn,
            // A listen section's rules are its frontend's: HAProxy runs a proxy's rules once.
            HttpRequestRules = http && section.Kind == ProxyKinds.Backend ? [.. section.HttpRequestRules, .. section.RedirectRules, .. Stats.StatsServices.Rules(section.StatsPage, section.Name, section.Location.ToString())] : [],
            HttpResponseRules = http && section.Kind == ProxyKinds.Backend ? [.. section.HttpResponseRules] : [],
            TcpContentRules = section.Kind == ProxyKinds.Backend ? [.. section.TcpContentRules] : [],
            InspectDelay = section.Kind == ProxyKinds.Backend ? section.InspectDelay : TimeSpan.Zero,
            TcpResponseRules = [.. section.TcpResponseRules],
            ResponseInspectDelay = section.ResponseInspectDelay,
            ErrorFiles = errorPages,
            HealthCheck = new BackendCheckConfig
            {
                Kind = section.CheckProtocol == CheckProtocol.Http ? HealthCheckKind.Http : HealthCheckKind.Tcp,
                Request = CheckRulesBuilder.FirstRequest(checkRules) ?? section.HttpCheckRequest,
                Expect = CheckRulesBuilder.FirstExpect(checkRules),
                Protocol = section.CheckProtocol,
                Rules = checkRules,
                SendState = section.HttpCheckSendState,
                DisableOn404 = section.HttpCheckDisableOn404,
            },
            IsListen = section.Kind == ProxyKinds.Listen,
        };
    }

    /// <summary>`track [BACKEND/]SERVER`: the tracked server must exist and be checked (HAProxy's messages).</summary>
    private static void ResolveTrackedServers(List<BackendConfig> backends, DiagnosticBag diagnostics)
    {
        foreach (var backend in backends)
        {
            foreach (var server in backend.Servers)
            {
                if (server.Check.Track is not { } track)
                {
                    continue;
                }

                var slash = track.IndexOf('/', StringComparison.Ordinal);
                var (proxyName, serverName) = slash < 0 ? (backend.Name, track) : (track[..slash], track[(slash + 1)..]);
                var prefix = $"[{server.Location}] : 'server {backend.Name}/{server.Name}'";
                var proxy = backends.Find(b => b.Name == proxyName);
                var tracked = proxy?.Servers.FirstOrDefault(s => s.Name == serverName);
                if (proxy is null)
                {
                    diagnostics.ConfigAlert($"{prefix} : unable to find required proxy '{proxyName}' for tracking.");
                }
                else if (tracked is null)
                {
                    diagnostics.ConfigAlert($"{prefix} : unable to find required server '{serverName}' for tracking.");
                }
                else if (!tracked.Check.Enabled && !tracked.Check.AgentCheck && tracked.Check.Track is null)
                {
                    diagnostics.ConfigAlert($"{prefix} : unable to use {proxyName}/{serverName} for tracking as it does not have any check nor agent enabled.");
                }
            }
        }
    }

    /// <summary>The threads `nbthread` makes, one bit each (one thread when it is not set).</summary>
    internal static ulong AllThreads(GlobalConfig global)
    {
        var count = Math.Clamp(global.NbThread, 1, BindLineParser.MaxThreads);
        return count == BindLineParser.MaxThreads ? ulong.MaxValue : (1UL << count) - 1;
    }

    private static FrontendConfig BuildFrontend(ProxySection section, int id, Dictionary<string, (BackendConfig Config, ProxySection Section)> backends, DiagnosticBag diagnostics, GlobalConfig global, IReadOnlyDictionary<int, HttpReturnRule> errorPages)
    {
        var binds = new List<BindConfig>();
        foreach (var line in section.Binds)
        {
            if (line.Options.Threads != 0 && (line.Options.Threads & AllThreads(global)) == 0)
            {
                diagnostics.ConfigAlert($"Proxy '{section.Name}': 'thread' directive contains threads that belong to no group in 'bind {string.Join(',', line.Addresses.Select(a => a.Text))}' at [{line.Location}].");
            }

            foreach (var address in line.Addresses)
            {
                binds.Add(line.Options with { Address = address });
            }
        }

        BackendConfig? defaultBackend = null;
        if (section.DefaultBackend is { } reference)
        {
            if (!backends.TryGetValue(reference.Name, out var found))
            {
                diagnostics.ConfigAlert($"Proxy '{section.Name}': unable to find required default_backend: '{reference.Name}'.");
            }
            else if (section.Kind == ProxyKinds.Listen && reference.Name == section.Name)
            {
                diagnostics.ConfigAlert($"Proxy '{section.Name}': loop detected for default_backend: '{reference.Name}'.");
            }
            else if (CheckModes(section, found.Section, "as its default backend", diagnostics))
            {
                defaultBackend = found.Config;
            }
        }
        else if (section.Kind == ProxyKinds.Listen)
        {
            defaultBackend = backends.TryGetValue(section.Name, out var own) ? own.Config : null;
        }

        var useBackends = new List<UseBackendRule>(section.UseBackends.Count);
        foreach (var line in section.UseBackends)
        {
            if (line.DynamicName is not null)
            {
                useBackends.Add(new UseBackendRule(null, line.DynamicName, line.Condition, line.Location.ToString()));
                continue;
            }

            if (!backends.TryGetValue(line.Name, out var target))
            {
                diagnostics.ConfigAlert($"Proxy '{section.Name}': unable to find required use_backend: '{line.Name}'.");
            }
            else if (section.Kind == ProxyKinds.Listen && line.Name == section.Name)
            {
                diagnostics.ConfigAlert($"Proxy '{section.Name}': loop detected for use_backend: '{line.Name}'.");
            }
            else if (CheckModes(section, target.Section, "in a 'use_backend' rule", diagnostics))
            {
                useBackends.Add(new UseBackendRule(target.Config, null, line.Condition, line.Location.ToString()));
            }
        }

        var http = section.Mode == ProxyMode.Http;
        if (section.CookieCapture is not null && section.CookieCaptureTruncated)
        {
            diagnostics.ConfigWarning($"truncating capture length to {CookieCapture.MaxLength} bytes for {section.MessageKind} '{section.Name}'.");
        }

        return new FrontendConfig
        {
            Name = section.Name,
            Location = section.Location.ToString(),
            Id = id,
            Mode = section.Mode,
            Binds = binds,
            Timeouts = section.Timeouts,
            MaxConn = section.MaxConn,
            StickTable = section.StickTable,
            Backlog = section.Backlog,
            SessionRateLimit = section.SessionRateLimit,
            DefaultBackend = defaultBackend,
            Disabled = section.Disabled,
            Description = section.Description,
            SocketStats = section.SocketStats,
            ClientKeepAlive = section.ClientTcpKeepAlive ? section.ClientKeepAliveTuning : null,
            NoLinger = section.NoLinger,
            Splice = global.NoSplice ? SpliceMode.None : section.Splice,
            IdleCloseOnResponse = section.Mode == ProxyMode.Http && section.IdleCloseOnResponse,
            HttpConnectionMode = section.HttpConnectionMode,
            ForwardFor = http ? section.ForwardFor : null,
            OriginalTo = http ? section.OriginalTo : null,
            HttpBufferRequest = http && section.HttpBufferRequest,
            AcceptInvalidHttpRequest = http && section.AcceptInvalidHttpRequest,
            H2cUpgrade = http && section.H2cUpgrade,
            HttpIgnoreProbes = http && section.HttpIgnoreProbes,
            DisableH2Upgrade = http && section.DisableH2Upgrade,
            RestrictRequestHeaderNames = http ? section.RestrictRequestHeaderNames : HeaderNamePolicy.Preserve,
            UseBackends = useBackends,
            HttpRequestRules = http ? [.. section.HttpRequestRules, .. section.RedirectRules, .. Stats.StatsServices.Rules(section.StatsPage, section.Name, section.Location.ToString())] : [],
            HttpResponseRules = http ? [.. section.HttpResponseRules] : [],
            RequestCaptures = [.. section.RequestCaptures],
            ResponseCaptures = [.. section.ResponseCaptures],
            CookieCapture = http ? section.CookieCapture : null,
            UniqueIdFormat = section.UniqueIdFormat,
            UniqueIdHeader = http && section.UniqueIdHeader is { } uniqueIdHeader ? System.Text.Encoding.Latin1.GetBytes(uniqueIdHeader.ToLowerInvariant()) : null,
            MonitorUri = http ? section.MonitorUri : null,
            MonitorFail = section.MonitorFail,
            TcpConnectionRules = [.. section.TcpConnectionRules],
            ExpectsProxyHeader = section.TcpConnectionRules.Exists(r => r.Action == Sluice.Rules.Actions.TcpRuleAction.ExpectProxy),
            TcpSessionRules = [.. section.TcpSessionRules],
            TcpContentRules = [.. section.TcpContentRules],
            InspectDelay = section.InspectDelay,
            ErrorFiles = errorPages,
            Log = Sections.LogKeywordParsers.Build(section, global, diagnostics.ConfigWarning, diagnostics.ConfigAlert),
        };
    }

    /// <summary>
    /// An http frontend cannot use a tcp backend (HAProxy's alert). A tcp frontend may use an http backend in
    /// HAProxy, which then switches the connection to HTTP; Sluice does not do that switch yet.
    /// </summary>
    private static bool CheckModes(ProxySection section, ProxySection backend, string usage, DiagnosticBag diagnostics)
    {
        if (backend.Mode == section.Mode)
        {
            return true;
        }

        var what = $"{ModeName(section.Mode)} {section.MessageKind} '{section.Name}' ({section.Location})";
        var target = $"{ModeName(backend.Mode)} {backend.MessageKind} '{backend.Name}' ({backend.Location})";
        diagnostics.ConfigAlert(section.Mode == ProxyMode.Http
            ? $"{what} tries to use incompatible {target} {usage} (see 'mode')."
            : $"{what} uses {target} {usage}: switching a tcp connection to HTTP is not supported yet.");
        return false;
    }

    private static string ModeName(ProxyMode mode) => mode == ProxyMode.Http ? "http" : "tcp";

    /// <summary>
    /// HAProxy's warnings for the HTTP-only settings of a tcp proxy, which it ignores (the model leaves them out),
    /// in HAProxy's order.
    /// </summary>
    private static void WarnHttpOnlySettings(ProxySection section, DiagnosticBag diagnostics)
    {
        if (section.Mode == ProxyMode.Http)
        {
            return;
        }

        var who = $"{section.MessageKind} '{section.Name}'";
        if (section.HttpRequestRules.Count > 0)
        {
            diagnostics.ConfigWarning($"'http-request' rules ignored for {who} as they require HTTP mode.");
        }

        if (section.HttpResponseRules.Count > 0)
        {
            diagnostics.ConfigWarning($"'http-response' rules ignored for {who} as they require HTTP mode.");
        }

        void Option(bool set, string name)
        {
            if (set)
            {
                diagnostics.ConfigWarning($"'option {name}' ignored for {who} as it requires HTTP mode.");
            }
        }

        if (section.IsBackend && section.Cookie is not null)
        {
            diagnostics.ConfigWarning($"cookie will be ignored for {section.MessageKind} '{section.Name}' (needs 'mode http').");
        }

        foreach (var server in section.Servers)
        {
            if (server.Options.Cookie is not null)
            {
                diagnostics.ConfigWarning($"{section.MessageKind} '{section.Name}' : ignoring cookie for server '{server.Name}' as HTTP mode is disabled.");
            }
        }

        Option(section.ForwardFor is not null, "forwardfor");
        Option(section.OriginalTo is not null, "originalto");
        Option(section.HttpBufferRequest, "http-buffer-request");
        Option(section.IsFrontend && section.AcceptInvalidHttpRequest, "accept-invalid-http-request");
        Option(section.IsFrontend && section.H2cUpgrade, "h2c-upgrade");
        Option(section.IsFrontend && section.HttpIgnoreProbes, "http-ignore-probes");
        Option(section.IsFrontend && section.DisableH2Upgrade, "disable-h2-upgrade");
        Option(section.IsBackend && section.AcceptInvalidHttpResponse, "accept-invalid-http-response");
    }

    /// <summary>A bind or server line's <c>proto</c> must be a multiplexer of the proxy's mode (HAProxy's alerts).</summary>
    private static void CheckBindProtocols(ProxySection section, DiagnosticBag diagnostics)
    {
        var mode = section.Mode == ProxyMode.Http ? "HTTP" : "TCP";
        foreach (var server in section.Servers)
        {
            if (server.Options.Proto is { } proto && MuxProtocols.Find(proto) is { } mux && !string.Equals(mux.Mode, mode, StringComparison.Ordinal))
            {
                diagnostics.ConfigAlert($"proxy '{section.Name}' : MUX protocol '{proto}' is not usable for server '{server.Name}' at [{server.Location}].");
            }
        }

        foreach (var line in section.Binds)
        {
            if (line.Options.Proto is { } proto && MuxProtocols.Find(proto) is { } mux
                && !string.Equals(mux.Mode, section.Mode == ProxyMode.Http ? "HTTP" : "TCP", StringComparison.Ordinal))
            {
                var addresses = string.Join(',', line.Addresses.Select(a => a.Text));
                diagnostics.ConfigAlert($"{section.MessageKind} '{section.Name}' : MUX protocol '{proto}' is not usable for 'bind {addresses}' at [{line.Location}].");
            }
        }
    }

    /// <summary>HAProxy's warning when a proxy lacks <c>timeout client</c>, <c>connect</c> or <c>server</c>.</summary>
    private static void WarnMissingTimeouts(ProxySection section, DiagnosticBag diagnostics)
    {
        if (section.Disabled)
        {
            return;
        }

        var t = section.Timeouts;
        var missing = (section.IsFrontend && t.Client is null)
            || (section.IsBackend && (t.Connect is null || t.Server is null));
        if (missing)
        {
            diagnostics.ConfigWarning($"missing timeouts for {section.MessageKind} '{section.Name}'.{MissingTimeoutsAdvice}");
        }
    }
}
