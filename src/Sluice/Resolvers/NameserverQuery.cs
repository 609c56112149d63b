using System.Net;
using System.Net.Sockets;
using Sluice.Config.Model;
using Sluice.Protocols.Dns;

namespace Sluice.Resolvers;

/// <summary>How a resolution ended, in HAProxy's terms: an address, or which kind of failure (for `hold`).</summary>
internal enum ResolutionStatus
{
    Valid = 0,
    NxDomain = 1,
    Refused = 2,
    Timeout = 3,
    Other = 4,
    /// <summary>NOERROR without an address of the type asked for (HAProxy's `any_err`).</summary>
    NoAddress = 5,
}

/// <summary>
/// A resolution's outcome: the status, the record type the answer is for, the answer of a valid one (addresses, or
/// SRV records and their additional addresses), and the name server that gave it.
/// </summary>
internal sealed record ResolutionResult(ResolutionStatus Status, DnsRecordType Type, DnsAnswer? Answer, NameserverConfig? Nameserver)
{
    public IReadOnlyList<IPAddress> Addresses => Answer?.Addresses ?? [];
}

/// <summary>
/// Asks the name servers of a `resolvers` section for a name, as HAProxy does: one query to every name server, the
/// first valid answer wins, otherwise the last failure counts; a failure of an address query other than a timeout is
/// asked again with the other record type (AAAA for A, A for AAAA) before the original type is asked again, up to
/// `resolve_retries` queries (an SRV query is only asked again); each query waits `timeout retry`.
/// </summary>
internal static class NameserverQuery
{
    /// <param name="counters">One per name server of <paramref name="resolvers"/>, in order.</param>
    public static async Task<ResolutionResult> ResolveAsync(ResolversConfig resolvers, IReadOnlyList<NameserverCounters> counters, string name, DnsRecordType preferred, CancellationToken cancellation)
    {
        DnsRecordType? other = preferred switch
        {
            DnsRecordType.A => DnsRecordType.Aaaa,
            DnsRecordType.Aaaa => DnsRecordType.A,
            _ => null,
        };
        var last = new ResolutionResult(ResolutionStatus.Timeout, preferred, null, null);
        for (var sent = 0; sent < resolvers.ResolveRetries;)
        {
            last = await QueryAsync(resolvers, counters, name, preferred, cancellation).ConfigureAwait(false);
            sent++;
            if (last.Status == ResolutionStatus.Valid)
            {
                return last;
            }

            if (last.Status == ResolutionStatus.Timeout || sent >= resolvers.ResolveRetries || other is null)
            {
                continue;
            }

            last = await QueryAsync(resolvers, counters, name, other.Value, cancellation).ConfigureAwait(false);
            sent++;
            if (last.Status == ResolutionStatus.Valid)
            {
                return last;
            }
        }

        return last;
    }

    /// <summary>One query of <paramref name="type"/> to every name server, answered within `timeout retry`.</summary>
    private static async Task<ResolutionResult> QueryAsync(ResolversConfig resolvers, IReadOnlyList<NameserverCounters> counters, string name, DnsRecordType type, CancellationToken cancellation)
    {
        var query = new byte[DnsMessage.MaxQueryLength];
        var id = (ushort)Random.Shared.Next(ushort.MaxValue + 1);
        var length = DnsMessage.WriteQuery(query, id, name, type, resolvers.AcceptedPayloadSize);
        if (length == 0)
        {
            return new ResolutionResult(ResolutionStatus.Other, type, null, null);
        }

        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        var answeredBy = new bool[resolvers.Nameservers.Count];
        for (var i = 0; i < resolvers.Nameservers.Count; i++)
        {
            try
            {
                await socket.SendToAsync(query.AsMemory(0, length), SocketFlags.None, resolvers.Nameservers[i].Address, cancellation).ConfigureAwait(false);
                counters[i].Sent();
            }
            catch (SocketException)
            {
                // An unreachable name server answers nothing; the others may.
                counters[i].SendFailed();
                answeredBy[i] = true;
            }
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(resolvers.Retry);
        var buffer = new byte[ushort.MaxValue];
        ResolutionResult? lastInvalid = null;
        var answered = 0;
        try
        {
            while (answered < resolvers.Nameservers.Count)
            {
                SocketReceiveFromResult received;
                try
                {
                    received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.IPv6Any, 0), deadline.Token).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    // An ICMP "port unreachable" from a name server that is not there.
                    answered++;
                    continue;
                }

                var from = Unmapped((IPEndPoint)received.RemoteEndPoint);
                var index = IndexOf(resolvers, from);
                var message = buffer.AsSpan(0, received.ReceivedBytes);
                if (index < 0 || answeredBy[index] || DnsMessage.IdOf(message) != id)
                {
                    continue;
                }

                answered++;
                answeredBy[index] = true;
                if (DnsMessage.ReadResponse(message, type) is not { } answer)
                {
                    counters[index].Invalid();
                    continue;
                }

                var status = answer.Code switch
                {
                    DnsResponseCode.NoError when answer.Addresses.Count > 0 || answer.Services.Count > 0 => ResolutionStatus.Valid,
                    DnsResponseCode.NoError => ResolutionStatus.NoAddress,
                    DnsResponseCode.NameError => ResolutionStatus.NxDomain,
                    DnsResponseCode.Refused => ResolutionStatus.Refused,
                    _ => ResolutionStatus.Other,
                };
                counters[index].Answered(status, answer.Truncated);
                var result = new ResolutionResult(status, type, answer, resolvers.Nameservers[index]);
                if (status == ResolutionStatus.Valid)
                {
                    return result;
                }

                lastInvalid = result;
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            // `timeout retry` passed: the name servers still silent timed out.
            for (var i = 0; i < answeredBy.Length; i++)
            {
                if (!answeredBy[i])
                {
                    counters[i].TimedOut();
                }
            }
        }

        return lastInvalid ?? new ResolutionResult(ResolutionStatus.Timeout, type, null, null);
    }

    /// <summary>The place of the name server at <paramref name="from"/> in the section; -1 for none.</summary>
    internal static int IndexOf(ResolversConfig resolvers, IPEndPoint from)
    {
        for (var i = 0; i < resolvers.Nameservers.Count; i++)
        {
            if (resolvers.Nameservers[i].Address.Equals(from))
            {
                return i;
            }
        }

        return -1;
    }

    private static IPEndPoint Unmapped(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;
}
