using Sluice.Backends;

namespace Sluice.Rules.Samples;

/// <summary>
/// The fetches of the tracked stick counters (configuration.txt §7.3.3): `sc_NAME(N)` and `scN_NAME` read the entry
/// that `track-scN` attached to the transaction; no sample when counter N is not tracked, or when its table does
/// not store the value.
/// </summary>
internal static class StickFetches
{
    /// <summary>The counters the `sc_`, `scN_` and `src_` fetches read: the fetch's name and the stored data.</summary>
    private static readonly (string Name, Func<StickEntry, long, long?> Read)[] Counters =
    [
        .. new (string Name, StickDataType Type)[]
        {
            ("http_req_rate", StickDataType.HttpReqRate), ("http_req_cnt", StickDataType.HttpReqCnt),
            ("http_err_rate", StickDataType.HttpErrRate), ("http_err_cnt", StickDataType.HttpErrCnt),
            ("conn_cur", StickDataType.ConnCur), ("conn_cnt", StickDataType.ConnCnt), ("conn_rate", StickDataType.ConnRate),
            ("sess_cnt", StickDataType.SessCnt), ("sess_rate", StickDataType.SessRate),
            ("http_fail_rate", StickDataType.HttpFailRate), ("http_fail_cnt", StickDataType.HttpFailCnt),
            ("bytes_in_rate", StickDataType.BytesInRate), ("bytes_out_rate", StickDataType.BytesOutRate),
        }.Select(c => (c.Name, (Func<StickEntry, long, long?>)((e, now) => StickData.IsStored(e.Table.Config, c.Type) ? e.Read(c.Type, now) : null))),
        // The byte counts are read in kilobytes.
        ("kbytes_in", (e, now) => StickData.IsStored(e.Table.Config, StickDataType.BytesInCnt) ? e.Read(StickDataType.BytesInCnt, now) >> 10 : null),
        ("kbytes_out", (e, now) => StickData.IsStored(e.Table.Config, StickDataType.BytesOutCnt) ? e.Read(StickDataType.BytesOutCnt, now) >> 10 : null),
        // The single counters and tag; with the arrays, their first elements, as in HAProxy.
        ("get_gpc0", (e, _) => ReadGpc(e, 0, array: false)), ("gpc0_rate", (e, now) => ReadGpcRate(e, 0, now, array: false)),
        ("get_gpc1", (e, _) => ReadGpc(e, 1, array: false)), ("gpc1_rate", (e, now) => ReadGpcRate(e, 1, now, array: false)),
        ("get_gpt0", (e, _) => ReadGpt(e, 0, array: false)),
    ];

    /// <summary>
    /// The fetches of the arrays' elements: `sc_NAME(I,N)` and `src_NAME(I[,TABLE])`; those that change the element
    /// create the client's entry in their `src_` form.
    /// </summary>
    private static readonly (string Name, bool Changes, Func<StickEntry, int, long, long?> Read)[] Elements =
    [
        ("get_gpc", false, (e, i, _) => ReadGpc(e, i, array: true)),
        ("gpc_rate", false, (e, i, now) => ReadGpcRate(e, i, now, array: true)),
        ("get_gpt", false, (e, i, _) => ReadGpt(e, i, array: true)),
        ("inc_gpc", true, (e, i, now) => IncrementElement(e, i, now, array: true)),
        ("clr_gpc", true, (e, i, _) => e.Table.Config.StoresGpc(i, array: true) ? e.ClearGpc(i) : null),
    ];

    private static long? ReadGpc(StickEntry entry, int counter, bool array) => entry.Table.Config.StoresGpc(counter, array) ? entry.ReadGpc(counter) : null;

    private static long? ReadGpcRate(StickEntry entry, int counter, long nowMs, bool array) =>
        entry.Table.Config.GpcRatePeriodMs(counter, array) > 0 ? entry.ReadGpcRate(counter, nowMs, array) : null;

    private static long? ReadGpt(StickEntry entry, int tag, bool array) => entry.Table.Config.StoresGpt(tag, array) ? entry.ReadGpt(tag) : null;

    private static long? IncrementElement(StickEntry entry, int counter, long nowMs, bool array) =>
        entry.Table.Config.StoresGpc(counter, array) || entry.Table.Config.GpcRatePeriodMs(counter, array) > 0 ? entry.IncrementGpc(counter, nowMs, array) : null;

    /// <summary>
    /// The fetches that change the counter they read (`sc_inc_gpcN`, `sc_clr_gpcN`); their `src_` forms create the
    /// client's entry when it is missing, as HAProxy's do.
    /// </summary>
    private static readonly (string Name, Func<StickEntry, long, long?> Update)[] Updates =
    [
        ("inc_gpc0", (e, now) => IncrementElement(e, 0, now, array: false)),
        ("clr_gpc0", (e, _) => e.Table.Config.StoresGpc(0) ? e.ClearGpc(0) : null),
        ("inc_gpc1", (e, now) => IncrementElement(e, 1, now, array: false)),
        ("clr_gpc1", (e, _) => e.Table.Config.StoresGpc(1) ? e.ClearGpc(1) : null),
    ];

    /// <summary>The names this file implements, for the list of HAProxy's not-yet-supported fetches.</summary>
    public static IEnumerable<string> Names
    {
        get
        {
            foreach (var (name, _) in Counters.Concat(Updates))
            {
                yield return "src_" + name;
            }

            foreach (var (name, _, _) in Elements)
            {
                yield return "src_" + name;
                yield return "sc_" + name;
            }

            foreach (var name in Counters.Select(c => c.Name).Concat(Updates.Select(u => u.Name)))
            {
                yield return "sc_" + name;
                for (var n = 0; n < 3; n++)
                {
                    yield return $"sc{n}_{name}";
                }
            }
        }
    }

    public static void Register(Dictionary<string, FetchDefinition> table)
    {
        foreach (var (name, read) in Counters)
        {
            // `src_NAME([TABLE])`: the entry of the client's address, looked up without being created; 0 when absent.
            table["src_" + name] = new FetchDefinition("src_" + name, SampleSources.Connection, 1, a =>
            {
                var tableName = a.String(0);
                return new FunctionFetch(SampleType.Int, ctx => ReadSource(ctx, tableName, read));
            });
        }

        foreach (var (name, update) in Updates)
        {
            // `src_inc_gpc0([TABLE])` and the like: the client's entry is created when missing.
            table["src_" + name] = new FetchDefinition("src_" + name, SampleSources.Connection, 1, a =>
            {
                var tableName = a.String(0);
                return new FunctionFetch(SampleType.Int, ctx => UpdateSource(ctx, tableName, update));
            });
        }

        foreach (var (name, changes, read) in Elements)
        {
            // `sc_NAME(I,N[,TABLE])`: element I of tracked counter N; `src_NAME(I[,TABLE])`: of the client address's
            // entry, created when missing by the fetches that change it.
            table["sc_" + name] = new FetchDefinition("sc_" + name, SampleSources.Internal, 3, a =>
            {
                var element = (int)a.RequiredInteger(0);
                var index = (int)a.RequiredInteger(1);
                return index is < 0 or > 2 ? null : Create(index, a.String(2), (e, now) => read(e, element, now));
            });
            table["src_" + name] = new FetchDefinition("src_" + name, SampleSources.Connection, 2, a =>
            {
                var element = (int)a.RequiredInteger(0);
                var tableName = a.String(1);
                Func<StickEntry, long, long?> one = (e, now) => read(e, element, now);
                return new FunctionFetch(SampleType.Int, changes ? ctx => UpdateSource(ctx, tableName, one) : ctx => ReadSource(ctx, tableName, one));
            });
        }

        foreach (var (name, read) in Counters.Concat(Updates))
        {
            table["sc_" + name] = new FetchDefinition("sc_" + name, SampleSources.Internal, 2, a =>
            {
                var index = (int)a.RequiredInteger(0);
                return index is < 0 or > 2 ? null : Create(index, a.String(1), read);
            });
            for (var n = 0; n < 3; n++)
            {
                var index = n;
                table[$"sc{n}_{name}"] = new FetchDefinition($"sc{n}_{name}", SampleSources.Internal, 1, a => Create(index, a.String(0), read));
            }
        }
    }

    private static StickTable? SourceTable(SampleContext ctx, string? tableName) =>
        tableName is null ? ctx.FrontendStickTable : ctx.StickTables?.GetValueOrDefault(tableName);

    private static Sample UpdateSource(SampleContext ctx, string? tableName, Func<StickEntry, long, long?> update)
    {
        var now = Environment.TickCount64;
        return SourceTable(ctx, tableName) is { } stickTable && ctx.ClientEndPoint is System.Net.IPEndPoint ip
            && stickTable.GetOrCreate(Sample.FromAddress(ip.Address), now) is { } entry && update(entry, now) is long value
            ? Sample.FromInt(value)
            : default;
    }

    private static Sample ReadSource(SampleContext ctx, string? tableName, Func<StickEntry, long, long?> read)
    {
        var stickTable = SourceTable(ctx, tableName);
        if (stickTable is null || ctx.ClientEndPoint is not System.Net.IPEndPoint ip || !stickTable.TryFind(Sample.FromAddress(ip.Address), out var entry))
        {
            return default;
        }

        if (entry is null)
        {
            return Sample.FromInt(0);
        }

        return read(entry, Environment.TickCount64) is long value ? Sample.FromInt(value) : default;
    }

    /// <summary>
    /// A fetch on tracked counter <paramref name="index"/>: its own entry, or with <paramref name="tableName"/> the entry
    /// of the same key in that table, looked up without being created (0 when absent), as HAProxy's `[,TABLE]`.
    /// </summary>
    private static FunctionFetch Create(int index, string? tableName, Func<StickEntry, long, long?> read) =>
        new(SampleType.Int, ctx =>
        {
            if (ctx.TrackedEntry(index) is not { } entry)
            {
                return default;
            }

            if (tableName is not null)
            {
                if (ctx.StickTables?.GetValueOrDefault(tableName) is not { } other)
                {
                    return default;
                }

                if (other.Find(entry.Key) is not { } found)
                {
                    return Sample.FromInt(0);
                }

                entry = found;
            }

            return read(entry, Environment.TickCount64) is long value ? Sample.FromInt(value) : default;
        });
}
