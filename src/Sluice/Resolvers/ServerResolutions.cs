using Sluice.Backends;
using Sluice.Checks;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Protocols.Dns;

namespace Sluice.Resolvers;

/// <summary>
/// The run-time resolutions of one configuration: the servers named by a host name or an SRV label with `resolvers`,
/// and the shared resolutions they ask (one per section, name and record type, as HAProxy shares them). A
/// resolution runs while someone needs its name: an SRV server resolving its target starts one, and leaves it when
/// the record goes or brings an additional address. Every change happens under <see cref="Lock"/>, so the
/// resolutions see one another's servers as HAProxy's single resolver task does. HAProxy's lines go to stderr and
/// to the backend's log targets, as health checks write theirs.
/// </summary>
#pragma warning disable CA1001 // The token outlives Stop for the loops still ending; nothing holds a wait handle.
internal sealed class ServerResolutions
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<ResolversConfig, NameserverCounters[]> _counters = new(ReferenceEqualityComparer.Instance);
    private readonly List<Resolution> _resolutions = [];

    private ServerResolutions(TextWriter log)
    {
        Log = log;
    }

    public object Lock { get; } = new();

    public TextWriter Log { get; }

    /// <summary>The counters of each name server of <paramref name="resolvers"/>; null when no server uses the section.</summary>
    public IReadOnlyList<NameserverCounters>? CountersOf(ResolversConfig resolvers) =>
        _counters.TryGetValue(resolvers, out var counters) ? counters : null;

    /// <returns>Null when no server of <paramref name="backends"/> is resolved at run time.</returns>
    public static ServerResolutions? Start(IEnumerable<BackendState> backends, TextWriter log)
    {
        ServerResolutions? started = null;
        foreach (var backend in backends)
        {
            var requests = new Dictionary<string, SrvRequest>(StringComparer.OrdinalIgnoreCase);
            foreach (var server in backend.Servers)
            {
                if (server.Config is not { Resolvers.Nameservers.Count: > 0 } config)
                {
                    continue;
                }

                started ??= new ServerResolutions(log);
                lock (started.Lock)
                {
                    if (config.SrvRecord is { } label)
                    {
                        if (!requests.TryGetValue(label, out var request))
                        {
                            request = new SrvRequest(started, backend, label);
                            requests[label] = request;
                            started.Link(request, config.Resolvers, label, DnsRecordType.Srv);
                        }

                        request.Add(new ResolvedServer(started, server, backend, request));
                    }
                    else if (config.HostName is { } name)
                    {
                        started.Link(new ResolvedServer(started, server, backend, null), name, config.ResolvePreferIpv4 ? DnsRecordType.A : DnsRecordType.Aaaa);
                    }
                }
            }
        }

        return started;
    }

    public void Stop() => _stop.Cancel();

    /// <summary>Makes <paramref name="server"/> ask for <paramref name="name"/> (in its `resolvers` section).</summary>
    public void Link(ResolvedServer server, string name, DnsRecordType type) =>
        server.Resolution = Link(server, server.Server.Config.Resolvers!, name, type);

    /// <summary>The server stops asking for its host name and lets go of the address record it took.</summary>
    public void Unlink(ResolvedServer server)
    {
        if (server.Resolution is not { } resolution)
        {
            return;
        }

        server.Resolution = null;
        server.LetGoOfRecord();
        resolution.Requesters.Remove(server);
        if (resolution.Requesters.Count == 0)
        {
            resolution.Stop();
            _resolutions.Remove(resolution);
        }
    }

    public void Write(BackendState backend, DiagnosticSeverity severity, string message, int syslogLevel) =>
        CheckLog.Write(backend, Log, severity, message, syslogLevel);

    private Resolution Link(IResolutionRequester requester, ResolversConfig resolvers, string name, DnsRecordType type)
    {
        var resolution = _resolutions.Find(r => r.Resolvers == resolvers && r.Type == type && AnswerRecords.SameName(r.Name, name));
        if (resolution is null)
        {
            if (!_counters.TryGetValue(resolvers, out var counters))
            {
                counters = [.. resolvers.Nameservers.Select(_ => new NameserverCounters())];
                _counters[resolvers] = counters;
            }

            resolution = new Resolution(this, resolvers, counters, name, type, _stop.Token);
            _resolutions.Add(resolution);
            resolution.Start();
        }

        resolution.Requesters.Add(requester);
        return resolution;
    }
}
#pragma warning restore CA1001
