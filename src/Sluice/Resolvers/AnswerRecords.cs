using System.Net;
using System.Text;
using Sluice.Balancing;
using Sluice.Protocols.Dns;

namespace Sluice.Resolvers;

/// <summary>
/// One record a resolution keeps between its answers (HAProxy's resolv_answer_item): an address (A, AAAA) or an
/// SRV record with the additional address given for its target, when the date it was last seen, and the servers
/// that took it (the address, or the SRV record's target).
/// </summary>
internal sealed class AnswerRecord
{
    public required uint Key { get; init; }
    public required DnsRecordType Type { get; init; }
    /// <summary>The address of an A or AAAA record, or of an additional record.</summary>
    public IPAddress? Address { get; init; }
    /// <summary>An SRV record; its weight follows the latest answer.</summary>
    public DnsService Service { get; set; }
    public long LastSeenMs { get; set; }
    /// <summary>The answer that last saw this additional address, so one answer does not date it twice.</summary>
    public long SeenInAnswer { get; set; }
    /// <summary>An SRV record's A or AAAA record from the additional section.</summary>
    public AnswerRecord? Additional { get; set; }
    public List<ResolvedServer> Servers { get; } = [];
}

/// <summary>
/// The records of one resolution in HAProxy's order: by the XXH32 of the record's data (the address bytes, or the
/// SRV target's name as labels) seeded with its type, as HAProxy's answer tree keys them. The order decides which
/// address a server takes first and which server an SRV record is given to, so it is kept exactly.
/// </summary>
internal sealed class AnswerRecords
{
    private readonly List<AnswerRecord> _records = [];
    private long _answers;

    public IReadOnlyList<AnswerRecord> All => _records;

    /// <summary>Merges one valid answer: records seen again are dated now, new ones are added.</summary>
    public void Merge(ResolutionResult result, long nowMs)
    {
        var answer = result.Answer!.Value;
        var pass = ++_answers;
        foreach (var address in answer.Addresses)
        {
            var existing = _records.Find(r => r.Type == result.Type && address.Equals(r.Address));
            if (existing is not null)
            {
                existing.LastSeenMs = nowMs;
                continue;
            }

            Insert(new AnswerRecord { Key = HashFunctions.XxHash32(address.GetAddressBytes(), (uint)result.Type), Type = result.Type, Address = address, LastSeenMs = nowMs });
        }

        foreach (var service in answer.Services)
        {
            var existing = _records.Find(r => r.Type == DnsRecordType.Srv && r.Service.Port == service.Port && SameName(r.Service.Target, service.Target));
            if (existing is not null)
            {
                existing.Service = existing.Service with { Weight = service.Weight };
                existing.LastSeenMs = nowMs;
                continue;
            }

            Insert(new AnswerRecord { Key = HashFunctions.XxHash32(Labels(service.Target), (uint)DnsRecordType.Srv), Type = DnsRecordType.Srv, Service = service, LastSeenMs = nowMs });
        }

        foreach (var additional in answer.Additional)
        {
            MergeAdditional(additional, nowMs, pass);
        }
    }

    /// <summary>
    /// An additional address dates the one an SRV record of its name already has; otherwise the first SRV record of
    /// its name without one takes it; otherwise it is dropped (an SRV record keeps its additional address until that
    /// one is obsolete, as HAProxy's).
    /// </summary>
    private void MergeAdditional(DnsNamedAddress additional, long nowMs, long pass)
    {
        var type = additional.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? DnsRecordType.Aaaa : DnsRecordType.A;
        foreach (var record in _records)
        {
            if (record is { Type: DnsRecordType.Srv, Additional: { } known } && known.Type == type && known.SeenInAnswer != pass
                && SameName(record.Service.Target, additional.Name) && known.Address!.Equals(additional.Address))
            {
                known.LastSeenMs = nowMs;
                known.SeenInAnswer = pass;
                return;
            }
        }

        foreach (var record in _records)
        {
            if (record is { Type: DnsRecordType.Srv, Additional: null } && SameName(record.Service.Target, additional.Name))
            {
                record.Additional = new AnswerRecord { Key = 0, Type = type, Address = additional.Address, LastSeenMs = nowMs, SeenInAnswer = pass };
                return;
            }
        }
    }

    public void Remove(AnswerRecord record) => _records.Remove(record);

    /// <summary>Forgets every record (a failed resolution nobody keeps them for); the servers that took one let go of it.</summary>
    public void Clear()
    {
        foreach (var record in _records)
        {
            foreach (var server in record.Servers)
            {
                server.TakenRecord = null;
            }
        }

        _records.Clear();
    }

    /// <summary>Inserts in key order, after the records of an equal key (the tree's order for duplicates).</summary>
    private void Insert(AnswerRecord record)
    {
        var at = _records.Count;
        while (at > 0 && _records[at - 1].Key > record.Key)
        {
            at--;
        }

        _records.Insert(at, record);
    }

    public static bool SameName(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>A name as DNS labels without the root (`\u0001a\u0004test`), the bytes HAProxy hashes.</summary>
    private static byte[] Labels(string name)
    {
        var output = new List<byte>(name.Length + 1);
        foreach (var label in name.Split('.'))
        {
            output.Add((byte)label.Length);
            output.AddRange(Encoding.ASCII.GetBytes(label));
        }

        return [.. output];
    }
}
