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
            ("get_gpc0", StickDataType.Gpc0), ("gpc0_rate", StickDataType.Gpc0Rate),
            ("get_gpc1", StickDataType.Gpc1), ("gpc1_rate", StickDataType.Gpc1Rate), ("get_gpt0", StickDataType.Gpt0),
            ("http_fail_rate", StickDataType.HttpFailRate), ("http_fail_cnt", StickDataType.HttpFailCnt),
            ("bytes_in_rate", StickDataType.BytesInRate), ("bytes_out_rate", StickDataType.BytesOutRate),
        }.Select(c => (c.Name, (Func<StickEntry, long, long?>)((e, now) => StickData.IsStored(e.Table.Config, c.Type) ? e.Read(c.Type, now) : null))),
        // The byte counts are read in kilobytes.
        ("kbytes_in", (e, now) => StickData.IsStored(e.Table.Config, StickDataType.BytesInCnt) ? e.Read(StickDataType.BytesInCnt, now) >> 10 : null),
        ("kbytes_out", (e, now) => StickData.IsStored(e.Table.Config, StickDataType.BytesOutCnt) ? e.Read(StickDataType.BytesOutCnt, now) >> 10 : null),
    ];

    /// <summary>
    /// The fetches that change the counter they read (`sc_inc_gpcN`, `sc_clr_gpcN`); their `src_` forms create the
    /// client's entry when it is missing, as HAProxy's do.
    /// </summary>
    private static readonly (string Name, Func<StickEntry, long, long?> Update)[] Updates =
    [
        ("inc_gpc0", (e, now) => Increment(e, 0, now)),
        ("clr_gpc0", (e, _) => e.Table.Config.StoresGpc0 ? e.ClearGpc(0) : null),
        ("inc_gpc1", (e, now) => Increment(e, 1, now)),
        ("clr_gpc1", (e, _) => e.Table.Config.StoresGpc1 ? e.ClearGpc(1) : null),
    ];

    private static long? Increment(StickEntry entry, int counter, long nowMs) =>
        entry.Table.Config.StoresGpc(counter) || entry.Table.Config.GpcRatePeriodMs(counter) > 0 ? entry.IncrementGpc(counter, nowMs) : null;

    /// <summary>The names this file implements, for the list of HAProxy's not-yet-supported fetches.</summary>
    public static IEnumerable<string> Names
    {
        get
        {
            foreach (var (name, _) in Counters.Concat(Updates))
            {
                yield return "src_" + name;
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

        foreach (var (name, read) in Counters.Concat(Updates))
        {
            table["sc_" + name] = new FetchDefinition("sc_" + name, SampleSources.Internal, 1, a =>
            {
                var index = (int)a.RequiredInteger(0);
                return index is < 0 or > 2 ? null : Create(index, read);
            });
            for (var n = 0; n < 3; n++)
            {
                var index = n;
                table[$"sc{n}_{name}"] = new FetchDefinition($"sc{n}_{name}", SampleSources.Internal, 0, _ => Create(index, read));
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

    private static FunctionFetch Create(int index, Func<StickEntry, long, long?> read) =>
        new(SampleType.Int, ctx => ctx.TrackedEntry(index) is { } entry && read(entry, Environment.TickCount64) is long value
            ? Sample.FromInt(value)
            : default);
}
