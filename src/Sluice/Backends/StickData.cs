namespace Sluice.Backends;

/// <summary>
/// The data a stick table may store, numbered as HAProxy numbers them: `show table` prints them in this order, and
/// the runtime API names them `data.NAME`.
/// </summary>
internal enum StickDataType
{
    ServerId = 0,
    Gpt0,
    Gpc0,
    Gpc0Rate,
    ConnCnt,
    ConnRate,
    ConnCur,
    SessCnt,
    SessRate,
    HttpReqCnt,
    HttpReqRate,
    HttpErrCnt,
    HttpErrRate,
    BytesInCnt,
    BytesInRate,
    BytesOutCnt,
    BytesOutRate,
    Gpc1,
    Gpc1Rate,
    ServerKey,
    HttpFailCnt,
    HttpFailRate,
    Gpt,
    Gpc,
    GpcRate,
}

/// <summary>Names, periods and values of <see cref="StickDataType"/>.</summary>
internal static class StickData
{
    private static readonly string[] Names =
    [
        "server_id", "gpt0", "gpc0", "gpc0_rate", "conn_cnt", "conn_rate", "conn_cur", "sess_cnt", "sess_rate",
        "http_req_cnt", "http_req_rate", "http_err_cnt", "http_err_rate", "bytes_in_cnt", "bytes_in_rate",
        "bytes_out_cnt", "bytes_out_rate", "gpc1", "gpc1_rate", "server_key", "http_fail_cnt", "http_fail_rate",
        "gpt", "gpc", "gpc_rate",
    ];

    /// <summary>Every type in HAProxy's order.</summary>
    public static IReadOnlyList<StickDataType> All { get; } = Enum.GetValues<StickDataType>();

    public static string NameOf(StickDataType type) => Names[(int)type];

    /// <summary>
    /// A `data.NAME` of the runtime API. The arrays are names only <paramref name="withArrays"/> (`set table`, which
    /// takes and ignores them, as HAProxy 2.6 does); its filters know no such name.
    /// </summary>
    public static bool TryParse(string name, out StickDataType type, bool withArrays = false)
    {
        var index = Array.IndexOf(Names, name);
        type = (StickDataType)Math.Max(index, 0);
        return index >= 0 && (withArrays || !IsArray(type));
    }

    /// <summary>`gpt(N)`, `gpc(N)`, `gpc_rate(N,P)`: shown element by element (`gpt0=`, `gpc1=`, `gpc0_rate(P)=`).</summary>
    public static bool IsArray(StickDataType type) => type is StickDataType.Gpt or StickDataType.Gpc or StickDataType.GpcRate;

    /// <summary>The number of elements of an array type the table stores.</summary>
    public static int ArrayLength(StickTableConfig config, StickDataType type) => type switch
    {
        StickDataType.Gpt => config.GptArrayCount,
        StickDataType.Gpc => config.GpcArrayCount,
        StickDataType.GpcRate => config.GpcRateArrayCount,
        _ => 0,
    };

    /// <summary>The period of a rate the table stores; 0 for a counter, or when the table does not store the rate.</summary>
    public static long PeriodOf(StickTableConfig config, StickDataType type) => type switch
    {
        StickDataType.ConnRate => config.ConnRatePeriodMs,
        StickDataType.HttpReqRate => config.HttpReqRatePeriodMs,
        StickDataType.HttpErrRate => config.HttpErrRatePeriodMs,
        StickDataType.Gpc0Rate => config.Gpc0RatePeriodMs,
        StickDataType.Gpc1Rate => config.Gpc1RatePeriodMs,
        StickDataType.SessRate => config.SessRatePeriodMs,
        StickDataType.HttpFailRate => config.HttpFailRatePeriodMs,
        StickDataType.BytesInRate => config.BytesInRatePeriodMs,
        StickDataType.BytesOutRate => config.BytesOutRatePeriodMs,
        StickDataType.GpcRate => config.GpcRateArrayPeriodMs,
        _ => 0,
    };

    /// <summary>True when the table keeps <paramref name="type"/> (its `store` list names it).</summary>
    public static bool IsStored(StickTableConfig config, StickDataType type) => type switch
    {
        StickDataType.ServerId => config.StoresServerId,
        StickDataType.ServerKey => config.StoresServerKey,
        StickDataType.Gpc0 => config.StoresGpc0,
        StickDataType.Gpc1 => config.StoresGpc1,
        StickDataType.SessCnt => config.StoresSessCnt,
        StickDataType.Gpt0 => config.StoresGpt0,
        StickDataType.ConnCnt => config.StoresConnCnt,
        StickDataType.ConnCur => config.StoresConnCur,
        StickDataType.HttpReqCnt => config.StoresHttpReqCnt,
        StickDataType.HttpErrCnt => config.StoresHttpErrCnt,
        StickDataType.HttpFailCnt => config.StoresHttpFailCnt,
        StickDataType.BytesInCnt => config.StoresBytesInCnt,
        StickDataType.BytesOutCnt => config.StoresBytesOutCnt,
        StickDataType.Gpt or StickDataType.Gpc or StickDataType.GpcRate => ArrayLength(config, type) > 0,
        _ => PeriodOf(config, type) > 0,
    };
}
