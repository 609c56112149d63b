using System.Buffers;
using System.Net;
using System.Text;
using Sluice.Messages;
using HttpVersion = Sluice.Messages.HttpVersion;

namespace Sluice.Rules.Samples;

/// <summary>A fetch keyword: what it reads, how many arguments it takes, and how it is compiled.</summary>
internal sealed record FetchDefinition(string Name, SampleSources Needs, int MaxArguments, Func<SampleArguments, SampleFetch?> Create);

/// <summary>Every fetch keyword Sluice knows (configuration.txt §7.3), by name.</summary>
internal static class SampleFetchTable
{
    private static readonly Dictionary<string, FetchDefinition> Definitions = Build();

    public static FetchDefinition? Find(string name) => Definitions.GetValueOrDefault(name);

    public static IEnumerable<string> Names => Definitions.Keys;

    private static Dictionary<string, FetchDefinition> Build()
    {
        var table = new Dictionary<string, FetchDefinition>(StringComparer.Ordinal);
        void Add(string name, SampleSources needs, int maxArgs, Func<SampleArguments, SampleFetch?> create) =>
            table[name] = new FetchDefinition(name, needs, maxArgs, create);
        void Simple(string name, SampleSources needs, SampleType type, Func<SampleContext, Sample> read)
        {
            var fetch = new FunctionFetch(type, read);
            Add(name, needs, 0, _ => fetch);
        }

        const SampleSources Internal = SampleSources.Internal;
        const SampleSources Connection = SampleSources.Connection;
        const SampleSources Request = SampleSources.HttpRequest;
        const SampleSources Response = SampleSources.HttpResponse;

        // Constants and the process.
        Add("always_true", Internal, 0, _ => new ConstantFetch(Sample.FromBool(true)));
        Add("always_false", Internal, 0, _ => new ConstantFetch(Sample.FromBool(false)));
        Add("str", Internal, 1, a => new ConstantFetch(Sample.FromString(Encoding.Latin1.GetBytes(a.RequiredString(0)))));
        Add("int", Internal, 1, a => new ConstantFetch(Sample.FromInt(a.RequiredInteger(0))));
        Add("bool", Internal, 1, a => new ConstantFetch(Sample.FromBool(a.RequiredInteger(0) != 0)));
        Add("ipv4", Internal, 1, a => ConstantAddress(a, System.Net.Sockets.AddressFamily.InterNetwork));
        Add("ipv6", Internal, 1, a => ConstantAddress(a, System.Net.Sockets.AddressFamily.InterNetworkV6));
        Add("env", Internal, 1, a =>
        {
            var value = Environment.GetEnvironmentVariable(a.RequiredString(0));
            return value is null ? new ConstantFetch(default) : new ConstantFetch(Sample.FromString(Encoding.Latin1.GetBytes(value)));
        });
        Add("date", Internal, 1, a =>
        {
            var offset = a.Integer(0, 0);
            return new FunctionFetch(SampleType.Int, _ => Sample.FromInt(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + offset));
        });
        Add("rand", Internal, 1, a =>
        {
            var range = a.Integer(0, 0);
            return new FunctionFetch(SampleType.Int, _ => Sample.FromInt(range > 0 ? Random.Shared.NextInt64(range) : Random.Shared.Next()));
        });
        Add("uuid", Internal, 1, a =>
        {
            var version = a.Integer(0, 4);
            if (a.Error is null && version != 4)
            {
                a.Fail($"Unsupported UUID version: '{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}'");
                return null;
            }

            return new FunctionFetch(SampleType.Str, RandomUuid);
        });
        Simple("nbproc", Internal, SampleType.Int, _ => Sample.FromInt(1));
        Simple("pid", Internal, SampleType.Int, _ => Sample.FromInt(Environment.ProcessId));
        // The running configuration's state: connections a reload left on the configuration before it see the new one's.
        Simple("stopping", Internal, SampleType.Bool, _ => Sample.FromBool(Stats.StatsHub.Current?.Stopping == true));
        Add("var", Internal, 1, a =>
        {
            if (VariableNames.TryResolve(a.RequiredString(0), out var variable) is { } error)
            {
                a.Fail(error);
                return null;
            }

            return new FunctionFetch(SampleType.None, ctx => ctx.Variables.TryGet(variable!, out var value) ? value : default);
        });

        // The connection.
        Simple("src", Connection, SampleType.Address, ctx => ctx.ClientEndPoint is IPEndPoint ip ? Sample.FromAddress(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) : default);
        ProxyProtocolFetches.Register(table);
        Simple("src_port", Connection, SampleType.Int, ctx => ctx.ClientEndPoint is IPEndPoint ip ? Sample.FromInt(ip.Port) : default);
        Simple("dst", Connection, SampleType.Address, ctx => ctx.LocalEndPoint is IPEndPoint ip ? Sample.FromAddress(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) : default);
        Simple("dst_port", Connection, SampleType.Int, ctx => ctx.LocalEndPoint is IPEndPoint ip ? Sample.FromInt(ip.Port) : default);
        Simple("fe_name", Connection, SampleType.Str, ctx => Sample.FromString(ctx.FrontendName));
        Simple("fe_id", Connection, SampleType.Int, ctx => Sample.FromInt(ctx.FrontendId));
        Add("fe_conn", Connection, 1, a =>
        {
            var frontendName = a.String(0);
            return new FunctionFetch(SampleType.Int, ctx =>
            {
                var counters = frontendName is null ? ctx.FrontendCounters : Stats.StatsHub.Current?.FindFrontend(frontendName)?.Counters;
                return counters is null ? default : Sample.FromInt(counters.CurrentSessions);
            });
        });
        Simple("so_id", Connection, SampleType.Int, ctx => ctx.Listener.Id > 0 ? Sample.FromInt(ctx.Listener.Id) : default);
        Simple("so_name", Connection, SampleType.Str, ctx => ctx.Listener.Name is { } name ? Sample.FromString(name) : default);
        TlsFetches.Register(table);
        StickFetches.Register(table);

        // The backend and the server.
        Simple("be_name", SampleSources.Backend, SampleType.Str, ctx => ctx.Backend is { } be ? Sample.FromString(be.NameBytes) : default);
        Simple("be_id", SampleSources.Backend, SampleType.Int, ctx => ctx.Backend is { } be ? Sample.FromInt(be.Config.Id) : default);
        Simple("srv_name", SampleSources.Server, SampleType.Str, ctx => ctx.Server is { } srv ? Sample.FromString(srv.NameBytes) : default);
        Simple("srv_id", SampleSources.Server, SampleType.Int, ctx => ctx.Server is { } srv ? Sample.FromInt(srv.Config.Id) : default);
        AddBackendCounter(table, "nbsrv", be => be.UsableServers);
        AddBackendCounter(table, "be_conn", be => be.CurrentConnections);
        AddBackendCounter(table, "connslots", be => be.FreeConnectionSlots);

        // The HTTP request.
        Simple("method", Request, SampleType.Str, ctx => ctx.Request is { } r ? MessageSlices.Of(r.Headers, r.MethodBytes) : default);
        Simple("path", Request, SampleType.Str, ctx => ctx.Request is { } r ? MessageSlices.Of(r.Headers, MessageSlices.Path(r.Target)) : default);
        Simple("pathq", Request, SampleType.Str, ctx => ctx.Request is { } r ? MessageSlices.Of(r.Headers, MessageSlices.PathAndQuery(r.Target)) : default);
        Simple("url", Request, SampleType.Str, ctx => ctx.Request is { } r ? MessageSlices.Of(r.Headers, r.Target) : default);
        Simple("query", Request, SampleType.Str, ctx =>
        {
            if (ctx.Request is not { } r)
            {
                return default;
            }

            var query = MessageSlices.Query(r.Target, out var present);
            return present ? MessageSlices.Of(r.Headers, query) : default;
        });
        Simple("base", Request, SampleType.Str, FetchBase);
        Simple("req.ver", Request, SampleType.Str, ctx => ctx.Request is { } r ? VersionSample(r.Version) : default);
        Simple("req_ver", Request, SampleType.Str, ctx => ctx.Request is { } r ? VersionSample(r.Version) : default);
        Simple("req.hdrs", Request, SampleType.Str, ctx => ctx.Request is { } r ? HeaderBlock(ctx, r.Headers) : default);
        Simple("req.hdrs_len", Request, SampleType.Int, ctx => ctx.Request is { } r ? Sample.FromInt(HeaderBlockLength(r.Headers)) : default);
        Simple("req.body", SampleSources.HttpRequestBody, SampleType.Bin, RequestBody);
        Simple("req.body_len", SampleSources.HttpRequestBody, SampleType.Int, ctx => RequestBody(ctx) is { Type: SampleType.Bin } body ? Sample.FromInt(body.Length) : default);
        Simple("req.body_size", SampleSources.HttpRequestBody, SampleType.Int, RequestBodySize);
        Add("req.body_param", SampleSources.HttpRequestBody, 2, a =>
        {
            var flags = a.String(1) ?? string.Empty;
            if (flags is not ("" or "i"))
            {
                a.FailArgument(1, $"invalid flag '{flags}', only 'i' is supported");
                return null;
            }

            return new BodyParamFetch(Encoding.Latin1.GetBytes(a.String(0) ?? string.Empty), ignoreCase: flags == "i");
        });
        Simple("req.proto_http", Request, SampleType.Bool, ctx => Sample.FromBool(ctx.Request is not null));
        Simple("unique-id", Connection, SampleType.Str, ctx => ctx.TryGetUniqueId(out var id) ? id : default);
        Simple("http_first_req", Request, SampleType.Bool, ctx => Sample.FromBool(ctx.FirstRequest));
        AddHeaderFetches(table, MessageSide.Request, Request, ["hdr", "req.hdr"], ["req.fhdr"], ["hdr_cnt", "req.hdr_cnt"], ["req.fhdr_cnt"]);
        AddCookieFetches(table, MessageSide.Request, Request, ["req.cook", "cook"], ["req.cook_cnt", "cook_cnt"]);
        foreach (var name in new[] { "url_param", "urlp" })
        {
            Add(name, Request, 2, a =>
            {
                var delimiter = a.String(1) is { Length: > 0 } d ? (byte)d[0] : (byte)'?';
                return new UrlParamFetch(Encoding.Latin1.GetBytes(a.String(0) ?? string.Empty), delimiter, a.ForAcl);
            });
        }

        Add("capture.req.hdr", Request, 1, a =>
        {
            var slot = (int)a.RequiredInteger(0);
            return new FunctionFetch(SampleType.Str, ctx => ctx.Captures.TryGet(response: false, slot, out var value) ? value : default);
        });
        Add("capture.res.hdr", Response, 1, a =>
        {
            var slot = (int)a.RequiredInteger(0);
            return new FunctionFetch(SampleType.Str, ctx => ctx.Captures.TryGet(response: true, slot, out var value) ? value : default);
        });

        // The request line as the client sent it, before any rewrite (what HAProxy keeps for its logs).
        Simple("capture.req.method", Request, SampleType.Str, ctx => ctx.Request is { } r ? MessageSlices.Of(r.Headers, r.ReceivedMethodBytes) : default);
        Simple("capture.req.uri", Request, SampleType.Str, ctx => ctx.Request is { } r ? MessageSlices.Of(r.Headers, r.ReceivedTarget) : default);
        Simple("capture.req.ver", Request, SampleType.Str, ctx => ctx.Request is { } r ? FullVersionSample(r.Version) : default);
        Simple("capture.res.ver", Response, SampleType.Str, ctx => ctx.Response is { } r ? FullVersionSample(r.Version) : default);

        Add("http_auth", Request, 1, a => AuthFetch.Create(a, group: false));
        Add("http_auth_group", Request, 1, a => AuthFetch.Create(a, group: true));

        // The HTTP response.
        Simple("status", Response, SampleType.Int, ctx => ctx.Response is { } r ? Sample.FromInt(r.Status) : default);
        Simple("res.ver", Response, SampleType.Str, ctx => ctx.Response is { } r ? VersionSample(r.Version) : default);
        Simple("resp_ver", Response, SampleType.Str, ctx => ctx.Response is { } r ? VersionSample(r.Version) : default);
        AddHeaderFetches(table, MessageSide.Response, Response, ["res.hdr", "shdr"], ["res.fhdr"], ["res.hdr_cnt", "shdr_cnt"], ["res.fhdr_cnt"]);
        AddCookieFetches(table, MessageSide.Response, Response, ["res.cook", "scook"], ["res.cook_cnt", "scook_cnt"]);

        // Bytes waiting in mode tcp.
        Simple("req.len", SampleSources.RequestBuffer, SampleType.Int, RequestLength);
        Simple("req_len", SampleSources.RequestBuffer, SampleType.Int, RequestLength);
        TlsHelloFetches.Register((name, type, read) => Simple(name, SampleSources.RequestBuffer, type, read));
        RdpCookieFetches.Register((name, maxArgs, create) => Add(name, SampleSources.RequestBuffer, maxArgs, create));
        Simple("wait_end", SampleSources.RequestBuffer, SampleType.Bool, ctx => Sample.FromBool(ctx.PayloadComplete));
        AddPayloadFetches(table, SampleSources.RequestBuffer, "req", ctx => ctx.RequestPayload);

        // Bytes the server sent in mode tcp, waiting for the `tcp-response content` rules.
        Simple("res.len", SampleSources.ResponseBuffer, SampleType.Int, ctx => PayloadLength(ctx, ctx.ResponsePayload));
        AddPayloadFetches(table, SampleSources.ResponseBuffer, "res", ctx => ctx.ResponsePayload);
        return table;
    }

    private static ConstantFetch? ConstantAddress(SampleArguments a, System.Net.Sockets.AddressFamily family)
    {
        if (!IPAddress.TryParse(a.RequiredString(0), out var address) || address.AddressFamily != family)
        {
            a.FailArgument(0, $"failed to parse '{a.String(0)}' as type '{(family == System.Net.Sockets.AddressFamily.InterNetwork ? "ipv4" : "ipv6")}' at position 1");
            return null;
        }

        return new ConstantFetch(Sample.FromAddress(address));
    }

    private static void AddBackendCounter(Dictionary<string, FetchDefinition> table, string name, Func<Backends.BackendState, int> read) =>
        table[name] = new FetchDefinition(name, SampleSources.Internal, 1, a =>
        {
            var backendName = a.String(0);
            return new FunctionFetch(SampleType.Int, ctx =>
            {
                var backend = backendName is null ? ctx.Backend : ctx.FindBackend?.Invoke(backendName);
                return backend is null ? default : Sample.FromInt(read(backend));
            });
        });

    private static void AddHeaderFetches(Dictionary<string, FetchDefinition> table, MessageSide side, SampleSources needs,
        string[] splitNames, string[] fullNames, string[] splitCounts, string[] fullCounts)
    {
        foreach (var name in splitNames.Concat(fullNames))
        {
            var split = splitNames.Contains(name);
            var nameSide = CurrentMessage(name, side);
            table[name] = new FetchDefinition(name, needs, 2, a =>
            {
                var header = Encoding.Latin1.GetBytes((a.String(0) ?? string.Empty).ToLowerInvariant());
                var occurrence = (int)a.Integer(1, 0);
                var all = occurrence == 0 && a.ForAcl;
                return new HeaderFetch(header, split, nameSide, occurrence == 0 ? -1 : occurrence, all);
            });
        }

        foreach (var name in splitCounts.Concat(fullCounts))
        {
            var split = splitCounts.Contains(name);
            var nameSide = CurrentMessage(name, side);
            table[name] = new FetchDefinition(name, needs, 1, a =>
                new HeaderCountFetch(Encoding.Latin1.GetBytes((a.String(0) ?? string.Empty).ToLowerInvariant()), split, nameSide));
        }
    }

    /// <summary>configuration.txt: `hdr` and `hdr_cnt` are req.hdr on requests and res.hdr on responses.</summary>
    private static MessageSide CurrentMessage(string name, MessageSide side) => name is "hdr" or "hdr_cnt" ? MessageSide.Current : side;

    private static void AddCookieFetches(Dictionary<string, FetchDefinition> table, MessageSide side, SampleSources needs, string[] names, string[] counts)
    {
        foreach (var name in names)
        {
            table[name] = new FetchDefinition(name, needs, 1, a => new CookieFetch(Encoding.Latin1.GetBytes(a.String(0) ?? string.Empty), side, a.ForAcl));
        }

        foreach (var name in counts)
        {
            table[name] = new FetchDefinition(name, needs, 1, a =>
            {
                var cookies = new CookieFetch(Encoding.Latin1.GetBytes(a.String(0) ?? string.Empty), side, all: true);
                return new FunctionFetch(SampleType.Int, ctx =>
                {
                    long state = 0;
                    var count = 0;
                    while (cookies.Fetch(ctx, ref state, out _))
                    {
                        count++;
                    }

                    return Sample.FromInt(count);
                });
            });
        }
    }

    private static readonly byte[] Version10 = "1.0"u8.ToArray();
    private static readonly byte[] Version11 = "1.1"u8.ToArray();
    private static readonly byte[] Version20 = "2.0"u8.ToArray();

    private static Sample VersionSample(HttpVersion version) => Sample.FromString(version switch
    {
        HttpVersion.Http10 => Version10,
        HttpVersion.Http20 => Version20,
        _ => Version11,
    });

    private static readonly byte[] FullVersion10 = "HTTP/1.0"u8.ToArray();
    private static readonly byte[] FullVersion11 = "HTTP/1.1"u8.ToArray();

    /// <summary>HAProxy tells only 1.0 from 1.1 here: an HTTP/2 message says HTTP/1.1.</summary>
    private static Sample FullVersionSample(HttpVersion version) =>
        Sample.FromString(version == HttpVersion.Http10 ? FullVersion10 : FullVersion11);

    /// <summary>`base`: the first Host value followed by the path, or only the path without Host.</summary>
    private static Sample FetchBase(SampleContext ctx)
    {
        if (ctx.Request is not { } request)
        {
            return default;
        }

        var path = MessageSlices.Path(request.Target);
        var hostSlot = request.Headers.IndexOf("host"u8);
        if (hostSlot < 0)
        {
            return MessageSlices.Of(request.Headers, path);
        }

        var host = request.Headers.Value(hostSlot);
        if (!ctx.TryReserve(host.Length + path.Length, out var buffer, out var offset))
        {
            return default;
        }

        host.CopyTo(buffer.AsSpan(offset));
        path.CopyTo(buffer.AsSpan(offset + host.Length));
        return Sample.FromString(buffer, offset, host.Length + path.Length);
    }

    private static int HeaderBlockLength(HttpHeaderList headers)
    {
        var length = 2;
        for (var i = 0; i < headers.SlotCount; i++)
        {
            if (!headers.IsRemoved(i))
            {
                length += headers.Name(i).Length + headers.Value(i).Length + 4;
            }
        }

        return length;
    }

    /// <summary>`req.hdrs`: the fields as HTTP/1 writes them, `name: value` lines and the empty line.</summary>
    private static Sample HeaderBlock(SampleContext ctx, HttpHeaderList headers)
    {
        var length = HeaderBlockLength(headers);
        if (!ctx.TryReserve(length, out var buffer, out var offset))
        {
            return default;
        }

        var span = buffer.AsSpan(offset, length);
        var at = 0;
        for (var i = 0; i < headers.SlotCount; i++)
        {
            if (headers.IsRemoved(i))
            {
                continue;
            }

            // Names in lower case, as HAProxy holds them.
            Ascii.ToLower(headers.Name(i), span[at..], out var nameLength);
            at += nameLength;
            ": "u8.CopyTo(span[at..]);
            at += 2;
            headers.Value(i).CopyTo(span[at..]);
            at += headers.Value(i).Length;
            "\r\n"u8.CopyTo(span[at..]);
            at += 2;
        }

        "\r\n"u8.CopyTo(span[at..]);
        return Sample.FromString(buffer, offset, length);
    }

    /// <summary>
    /// `req.body`: what the front mux holds of the request body (all of it after `option http-buffer-request` or
    /// `wait-for-body`, up to a buffer), copied into the scratch space.
    /// </summary>
    internal static Sample RequestBody(SampleContext ctx)
    {
        if (ctx.RequestBody is not { } body || ctx.Request is not { HasBody: true })
        {
            return default;
        }

        var room = ctx.Request.ContentLength is >= 0 and < 16384 ? (int)ctx.Request.ContentLength : 16384;
        if (!ctx.TryReserve(room, out var buffer, out var offset))
        {
            return default;
        }

        var copied = body.CopyBufferedBody(buffer.AsSpan(offset, room));
        ctx.Shrink(room - Math.Max(0, copied));
        return copied < 0 ? default : Sample.FromBinary(buffer, offset, copied);
    }

    /// <summary>`req.body_size`: the announced Content-Length, or what has come of a chunked body.</summary>
    private static Sample RequestBodySize(SampleContext ctx)
    {
        if (ctx.Request is { HasBody: true, ContentLength: >= 0 } request)
        {
            return Sample.FromInt(request.ContentLength);
        }

        return RequestBody(ctx) is { Type: SampleType.Bin } body ? Sample.FromInt(body.Length) : default;
    }

    /// <summary>`req.len`: the bytes waiting so far, a value that grows while more may come.</summary>
    private static Sample RequestLength(SampleContext ctx) => PayloadLength(ctx, ctx.RequestPayload);

    private static Sample PayloadLength(SampleContext ctx, ReadOnlySequence<byte> data)
    {
        ctx.ValueMayChange |= !ctx.PayloadComplete;
        return Sample.FromInt(data.Length);
    }

    /// <summary>`req.payload(offset,length)` and `req.payload_lv(offset1,length[,offset2])`, or their `res.` forms on the server's bytes.</summary>
    private static void AddPayloadFetches(Dictionary<string, FetchDefinition> table, SampleSources source, string side, Func<SampleContext, ReadOnlySequence<byte>> data)
    {
        var name = side + ".payload";
        table[name] = new FetchDefinition(name, source, 2, a =>
        {
            var offset = a.RequiredInteger(0);
            var length = a.RequiredInteger(1);
            return new FunctionFetch(SampleType.Bin, ctx => Payload(ctx, data(ctx), offset, length));
        });
        var lengthValued = side + ".payload_lv";
        table[lengthValued] = new FetchDefinition(lengthValued, source, 3, a =>
        {
            var lengthOffset = a.RequiredInteger(0);
            var lengthSize = a.RequiredInteger(1);
            if (lengthSize is < 1 or > 8)
            {
                a.FailArgument(1, "payload length must be between 1 and 8 bytes");
            }

            // The block's offset: absolute, or relative to the end of the length field when signed (`+N`, `-N`).
            var blockOffset = a.String(2) is { } text
                ? (text.StartsWith('+') || text.StartsWith('-') ? lengthOffset + lengthSize : 0) + a.Integer(2, 0)
                : lengthOffset + lengthSize;
            return new FunctionFetch(SampleType.Bin, ctx => LengthValuedPayload(ctx, data(ctx), lengthOffset, (int)lengthSize, blockOffset));
        });
    }

    /// <summary>`payload(offset,length)`: bytes of the waiting data; length 0 means up to the end.</summary>
    private static Sample Payload(SampleContext ctx, ReadOnlySequence<byte> data, long offset, long length)
    {
        if (offset > data.Length || (length > 0 && offset + length > data.Length))
        {
            // Not enough bytes yet: the rule waits for them while more may come.
            ctx.NeedsMoreData |= !ctx.PayloadComplete;
            return default;
        }

        var take = length > 0 ? length : data.Length - offset;
        return CopyPayload(ctx, data.Slice(offset, take));
    }

    /// <summary>`payload_lv`: a block whose size is written big-endian in the <paramref name="lengthSize"/> bytes at <paramref name="lengthOffset"/>.</summary>
    private static Sample LengthValuedPayload(SampleContext ctx, ReadOnlySequence<byte> data, long lengthOffset, int lengthSize, long blockOffset)
    {
        if (lengthOffset + lengthSize > data.Length)
        {
            ctx.NeedsMoreData |= !ctx.PayloadComplete;
            return default;
        }

        Span<byte> field = stackalloc byte[8];
        data.Slice(lengthOffset, lengthSize).CopyTo(field);
        long size = 0;
        for (var i = 0; i < lengthSize; i++)
        {
            size = (size << 8) | field[i];
        }

        // A block that could never fit a buffer never matches; one that fits but has not fully come waits for it.
        if (size <= 0 || blockOffset < 0 || size > ctx.PayloadCapacity || blockOffset + size > ctx.PayloadCapacity)
        {
            return default;
        }

        if (blockOffset + size > data.Length)
        {
            ctx.NeedsMoreData |= !ctx.PayloadComplete;
            return default;
        }

        return CopyPayload(ctx, data.Slice(blockOffset, size));
    }

    private static Sample CopyPayload(SampleContext ctx, ReadOnlySequence<byte> slice)
    {
        var take = (int)slice.Length;
        if (!ctx.TryReserve(take, out var buffer, out var start))
        {
            return default;
        }

        slice.CopyTo(buffer.AsSpan(start));
        return Sample.FromBinary(buffer, start, take);
    }

    /// <summary>
    /// `uuid([4])`: a random version 4 UUID (`Guid.NewGuid` draws one from the system's secure generator) in its
    /// 36-character text form, written into the scratch space.
    /// </summary>
    private static Sample RandomUuid(SampleContext ctx)
    {
        const int Length = 36;
        if (!ctx.TryReserve(Length, out var buffer, out var offset))
        {
            return default;
        }

        Guid.NewGuid().TryFormat(buffer.AsSpan(offset, Length), out _, "D");
        return Sample.FromString(buffer, offset, Length);
    }
}
