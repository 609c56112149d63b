using Sluice.Backends;
using Sluice.Checks;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Protocols.Dns;

namespace Sluice.Resolvers;

/// <summary>
/// The run-time resolutions of one configuration: the servers named by a host name or an SRV label with `resolvers`,
/// the `do-resolve` rules, and the shared resolutions they ask (one per section, name and record type, as HAProxy
/// shares them). A
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

    public ServerResolutions(TextWriter log)
    {
        Log = log;
    }

    public object Lock { get; } = new();

    public TextWriter Log { get; }

    /// <summary>The counters of each name server of <paramref name="resolvers"/>; null when nothing asked the section yet.</summary>
    public IReadOnlyList<NameserverCounters>? CountersOf(ResolversConfig resolvers)
    {
        lock (Lock)
        {
            return _counters.TryGetValue(resolvers, out var counters) ? counters : null;
        }
    }

    /// <summary>Starts resolving the servers of <paramref name="backends"/> named by a host name or an SRV label with `resolvers`.</summary>
    public void Start(IEnumerable<BackendState> backends)
    {
        lock (Lock)
        {
            foreach (var backend in backends)
            {
                var requests = new Dictionary<string, SrvRequest>(StringComparer.OrdinalIgnoreCase);
                foreach (var server in backend.Servers)
                {
                    if (server.Config is not { Resolvers.Nameservers.Count: > 0 } config)
                    {
                        continue;
                    }

                    if (config.SrvRecord is { } label)
                    {
                        if (!requests.TryGetValue(label, out var request))
                        {
                            request = new SrvRequest(this, backend, label);
                            requests[label] = request;
                            Link(request, config.Resolvers, label, DnsRecordType.Srv);
                        }

                        request.Add(new ResolvedServer(this, server, backend, request));
                    }
                    else if (config.HostName is { } name)
                    {
                        Link(new ResolvedServer(this, server, backend, null), name, config.ResolvePreferIpv4 ? DnsRecordType.A : DnsRecordType.Aaaa);
                    }
                }
            }
        }
    }

    /// <summary>
    /// `do-resolve`: one address for <paramref name="name"/> from <paramref name="resolvers"/>, as HAProxy's stream
    /// requester gets it: from the records of a resolution of that name whose last valid answer is younger than
    /// `hold valid`, else from the next answer; null when the resolution fails.
    /// </summary>
    public async Task<System.Net.IPAddress?> ResolveOnceAsync(ResolversConfig resolvers, string name, bool preferIpv4, CancellationToken cancellation)
    {
        var requester = new OneShotRequest(preferIpv4);
        Resolution resolution;
        lock (Lock)
        {
            resolution = Link(requester, resolvers, name, preferIpv4 ? DnsRecordType.A : DnsRecordType.Aaaa);
            if (resolution.Status == ResolutionStatus.Valid && Environment.TickCount64 - resolution.LastValidMs < (long)resolvers.HoldValid.TotalMilliseconds)
            {
                requester.OnValid(resolution, null);
            }
        }

        try
        {
            return await requester.Address.WaitAsync(cancellation).ConfigureAwait(false);
        }
        finally
        {
            lock (Lock)
            {
                Leave(requester, resolution);
            }
        }
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
        Leave(server, resolution);
    }

    /// <summary>A requester leaves its resolution, which stops when nobody needs its name any more.</summary>
    private void Leave(IResolutionRequester requester, Resolution resolution)
    {
        resolution.Requesters.Remove(requester);
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
