using Sluice.Config.Model;
using Sluice.Protocols.Dns;

namespace Sluice.Resolvers;

/// <summary>Who asked a resolution for its name: a server (an address), or the SRV request of a backend.</summary>
internal interface IResolutionRequester
{
    /// <summary>A valid answer came; <paramref name="nameserver"/> is the name server's for the first requester, null for the others (HAProxy's "DNS cache").</summary>
    void OnValid(Resolution resolution, NameserverConfig? nameserver);

    /// <summary>The resolution failed; returns true to keep the records of earlier answers.</summary>
    bool OnFailure(Resolution resolution);
}

/// <summary>
/// One name asked of one `resolvers` section for one record type, shared by every requester of that name and type
/// (HAProxy's resolv_resolution): asked every `timeout resolve` while someone needs it. A valid answer is merged into
/// the records kept, which are then judged (obsolete ones dropped after `hold obsolete`, SRV records handed to
/// servers) before the requesters hear of it in the order they came. Everything runs under the section-wide lock
/// of <see cref="ServerResolutions"/>.
/// </summary>
internal sealed class Resolution
{
    private readonly ServerResolutions _owner;
    private readonly CancellationTokenSource _stop;

    public Resolution(ServerResolutions owner, ResolversConfig resolvers, NameserverCounters[] counters, string name, DnsRecordType type, CancellationToken stopping)
    {
        _owner = owner;
        Resolvers = resolvers;
        Counters = counters;
        Name = name;
        Type = type;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    }

    public ResolversConfig Resolvers { get; }
    public NameserverCounters[] Counters { get; }
    public string Name { get; }
    public DnsRecordType Type { get; }
    public List<IResolutionRequester> Requesters { get; } = [];
    public AnswerRecords Records { get; } = new();
    /// <summary>How the latest resolution ended; null before the first.</summary>
    public ResolutionStatus? Status { get; private set; }
    public long LastValidMs { get; private set; } = Environment.TickCount64;

    /// <summary>Failures alone for longer than the `hold` of their kind since the last valid answer.</summary>
    public bool HoldExpired(long nowMs)
    {
        var hold = Status switch
        {
            ResolutionStatus.NxDomain => Resolvers.HoldNx,
            ResolutionStatus.Refused => Resolvers.HoldRefused,
            ResolutionStatus.Timeout => Resolvers.HoldTimeout,
            _ => Resolvers.HoldOther,
        };
        return nowMs - LastValidMs >= (long)hold.TotalMilliseconds;
    }

    public void Start() => _ = Task.Run(() => RunAsync(_stop.Token));

    public void Stop() => _stop.Cancel();

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var result = await NameserverQuery.ResolveAsync(Resolvers, Counters, Name, Type, stopping).ConfigureAwait(false);
                lock (_owner.Lock)
                {
                    if (stopping.IsCancellationRequested)
                    {
                        return;
                    }

                    if (result.Status == ResolutionStatus.Valid)
                    {
                        Succeeded(result);
                    }
                    else
                    {
                        Failed(result.Status);
                    }
                }

                await Task.Delay(Resolvers.Resolve, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The configuration stopped or was replaced, or nobody needs the name any more.
        }
    }

    private void Succeeded(ResolutionResult result)
    {
        var now = Environment.TickCount64;
        Records.Merge(result, now);
        JudgeRecords(now);
        Status = ResolutionStatus.Valid;
        LastValidMs = now;
        var nameserver = result.Nameserver;
        foreach (var requester in Requesters.ToArray())
        {
            requester.OnValid(this, nameserver);
            nameserver = null;
        }
    }

    /// <summary>
    /// HAProxy's resolv_check_response: an additional address or a record not seen for longer than `hold obsolete`
    /// is dropped (the servers that took it let go; an SRV record's servers are emptied), then each SRV record goes
    /// to the SRV requests, in record order.
    /// </summary>
    private void JudgeRecords(long now)
    {
        var obsolete = (long)Resolvers.HoldObsolete.TotalMilliseconds;
        foreach (var record in Records.All.ToArray())
        {
            if (record.Additional is { } additional && additional.LastSeenMs + obsolete < now)
            {
                record.Additional = null;
            }

            if (record.LastSeenMs + obsolete < now)
            {
                foreach (var server in record.Servers.ToArray())
                {
                    if (record.Type == DnsRecordType.Srv)
                    {
                        server.Request!.Empty(server);
                    }
                    else
                    {
                        server.LetGoOfRecord();
                    }
                }

                Records.Remove(record);
                continue;
            }

            if (record.Type == DnsRecordType.Srv)
            {
                foreach (var requester in Requesters)
                {
                    (requester as SrvRequest)?.Assign(record);
                }
            }
        }
    }

    private void Failed(ResolutionStatus status)
    {
        Status = status;
        var keep = false;
        foreach (var requester in Requesters.ToArray())
        {
            keep |= requester.OnFailure(this);
        }

        if (!keep)
        {
            Records.Clear();
        }
    }
}
