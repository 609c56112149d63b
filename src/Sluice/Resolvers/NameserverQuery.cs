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

    /// <summary>
    /// One query of <paramref name="type"/> to every name server at once, answered within `timeout retry`: the first
    /// valid answer wins (the others are abandoned, not counted as timeouts), otherwise the last failure counts.
    /// </summary>
    private static async Task<ResolutionResult> QueryAsync(ResolversConfig resolvers, IReadOnlyList<NameserverCounters> counters, string name, DnsRecordType type, CancellationToken cancellation)
    {
        var query = new byte[DnsMessage.MaxQueryLength];
        var id = (ushort)Random.Shared.Next(ushort.MaxValue + 1);
        var length = DnsMessage.WriteQuery(query, id, name, type, resolvers.AcceptedPayloadSize);
        if (length == 0)
        {
            return new ResolutionResult(ResolutionStatus.Other, type, null, null);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(resolvers.Retry);
        var exchange = new Exchange(query.AsMemory(0, length), id, deadline.Token);
        var pending = new List<Task<(int Index, byte[]? Message)>>(resolvers.Nameservers.Count);
        for (var i = 0; i < resolvers.Nameservers.Count; i++)
        {
            pending.Add(AskAsync(resolvers.Nameservers[i], i, counters[i], exchange));
        }

        ResolutionResult? lastInvalid = null;
        try
        {
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending).ConfigureAwait(false);
                pending.Remove(done);
                var (index, message) = await done.ConfigureAwait(false);
                if (message is null)
                {
                    continue;
                }

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
        finally
        {
            // The name servers still asked are abandoned: the answer is in, or the resolution stops.
            exchange.Abandoned = true;
            await deadline.CancelAsync().ConfigureAwait(false);
        }

        cancellation.ThrowIfCancellationRequested();
        return lastInvalid ?? new ResolutionResult(ResolutionStatus.Timeout, type, null, null);
    }

    /// <summary>What every name server of one query is asked, and until when.</summary>
    private sealed class Exchange(ReadOnlyMemory<byte> query, ushort id, CancellationToken deadline)
    {
        public ReadOnlyMemory<byte> Query { get; } = query;
        public ushort Id { get; } = id;
        public CancellationToken Deadline { get; } = deadline;
        /// <summary>Set once the query no longer waits: a name server still silent then did not time out.</summary>
        public volatile bool Abandoned;
    }

    /// <summary>
    /// Asks one name server: over UDP one datagram (answers with another id are passed over), over TCP (`tcp@`) the
    /// query and its answer each behind a two-byte length (RFC 7766). Returns the answer, or null (counted as a send
    /// error or a timeout, or not at all when the server refused the port or the query was abandoned).
    /// </summary>
    private static async Task<(int Index, byte[]? Message)> AskAsync(NameserverConfig nameserver, int index, NameserverCounters counters, Exchange exchange)
    {
        var sent = false;
        try
        {
            using var socket = nameserver.Tcp
                ? new Socket(nameserver.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
                : new Socket(nameserver.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            await socket.ConnectAsync(nameserver.Address, exchange.Deadline).ConfigureAwait(false);
            if (!nameserver.Tcp)
            {
                await socket.SendAsync(exchange.Query, SocketFlags.None, exchange.Deadline).ConfigureAwait(false);
                sent = true;
                counters.Sent();
                // A datagram as large as DNS allows, borrowed: `do-resolve` may ask for every request.
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(ushort.MaxValue);
                try
                {
                    while (true)
                    {
                        var received = await socket.ReceiveAsync(buffer, SocketFlags.None, exchange.Deadline).ConfigureAwait(false);
                        if (DnsMessage.IdOf(buffer.AsSpan(0, received)) == exchange.Id)
                        {
                            return (index, buffer[..received]);
                        }
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            var framed = new byte[2 + exchange.Query.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)exchange.Query.Length);
            exchange.Query.CopyTo(framed.AsMemory(2));
            await socket.SendAsync(framed, SocketFlags.None, exchange.Deadline).ConfigureAwait(false);
            sent = true;
            counters.Sent();
            var header = new byte[2];
            while (true)
            {
                if (!await ReadExactlyAsync(socket, header, exchange.Deadline).ConfigureAwait(false))
                {
                    return (index, null);
                }

                var message = new byte[System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(header)];
                if (!await ReadExactlyAsync(socket, message, exchange.Deadline).ConfigureAwait(false))
                {
                    return (index, null);
                }

                if (DnsMessage.IdOf(message) == exchange.Id)
                {
                    return (index, message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            if (sent && !exchange.Abandoned)
            {
                counters.TimedOut();
            }

            return (index, null);
        }
        catch (SocketException ex)
        {
            // Nothing listens there (ICMP "port unreachable", or a refused connection): it answers nothing, the others may.
            if (!sent && ex.SocketErrorCode != SocketError.ConnectionRefused)
            {
                counters.SendFailed();
            }

            return (index, null);
        }
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken cancellation)
    {
        for (var read = 0; read < buffer.Length;)
        {
            var count = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellation).ConfigureAwait(false);
            if (count == 0)
            {
                return false;
            }

            read += count;
        }

        return true;
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
}
