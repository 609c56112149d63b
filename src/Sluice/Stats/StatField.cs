namespace Sluice.Stats;

/// <summary>
/// The columns of HAProxy 2.6's stats CSV (management.txt §9.1), in its order, then the columns of its stats
/// modules after the `-` marker, as `show stat` prints them. The typed tags (origin, nature, scope and type,
/// §9.3 "show stat typed") are those HAProxy prints for each kind of object; a column without a tag for a kind
/// is always empty for it (server `check_code`, printed for layer 7 results only, and `slim`, printed with a `maxconn`, are added by hand). Typed and JSON positions of module columns do not count the `-` marker.
/// </summary>
internal static class StatField
{
    public const int Pxname = 0;
    public const int Svname = 1;
    public const int Qcur = 2;
    public const int Qmax = 3;
    public const int Scur = 4;
    public const int Smax = 5;
    public const int Slim = 6;
    public const int Stot = 7;
    public const int Bin = 8;
    public const int Bout = 9;
    public const int Dreq = 10;
    public const int Dresp = 11;
    public const int Ereq = 12;
    public const int Econ = 13;
    public const int Eresp = 14;
    public const int Wretr = 15;
    public const int Wredis = 16;
    public const int Status = 17;
    public const int Weight = 18;
    public const int Act = 19;
    public const int Bck = 20;
    public const int Chkfail = 21;
    public const int Chkdown = 22;
    public const int Lastchg = 23;
    public const int Downtime = 24;
    public const int Qlimit = 25;
    public const int Pid = 26;
    public const int Iid = 27;
    public const int Sid = 28;
    public const int Throttle = 29;
    public const int Lbtot = 30;
    public const int Tracked = 31;
    public const int Type = 32;
    public const int Rate = 33;
    public const int RateLim = 34;
    public const int RateMax = 35;
    public const int CheckStatus = 36;
    public const int CheckCode = 37;
    public const int CheckDuration = 38;
    public const int Hrsp1xx = 39;
    public const int Hrsp2xx = 40;
    public const int Hrsp3xx = 41;
    public const int Hrsp4xx = 42;
    public const int Hrsp5xx = 43;
    public const int HrspOther = 44;
    public const int Hanafail = 45;
    public const int ReqRate = 46;
    public const int ReqRateMax = 47;
    public const int ReqTot = 48;
    public const int CliAbrt = 49;
    public const int SrvAbrt = 50;
    public const int CompIn = 51;
    public const int CompOut = 52;
    public const int CompByp = 53;
    public const int CompRsp = 54;
    public const int Lastsess = 55;
    public const int LastChk = 56;
    public const int LastAgt = 57;
    public const int Qtime = 58;
    public const int Ctime = 59;
    public const int Rtime = 60;
    public const int Ttime = 61;
    public const int AgentStatus = 62;
    public const int AgentCode = 63;
    public const int AgentDuration = 64;
    public const int CheckDesc = 65;
    public const int AgentDesc = 66;
    public const int CheckRise = 67;
    public const int CheckFall = 68;
    public const int CheckHealth = 69;
    public const int AgentRise = 70;
    public const int AgentFall = 71;
    public const int AgentHealth = 72;
    public const int Addr = 73;
    public const int Cookie = 74;
    public const int Mode = 75;
    public const int Algo = 76;
    public const int ConnRate = 77;
    public const int ConnRateMax = 78;
    public const int ConnTot = 79;
    public const int Intercepted = 80;
    public const int Dcon = 81;
    public const int Dses = 82;
    public const int Wrew = 83;
    public const int Connect = 84;
    public const int Reuse = 85;
    public const int CacheLookups = 86;
    public const int CacheHits = 87;
    public const int SrvIcur = 88;
    public const int SrcIlim = 89;
    public const int QtimeMax = 90;
    public const int CtimeMax = 91;
    public const int RtimeMax = 92;
    public const int TtimeMax = 93;
    public const int Eint = 94;
    public const int IdleConnCur = 95;
    public const int SafeConnCur = 96;
    public const int UsedConnCur = 97;
    public const int NeedConnEst = 98;
    public const int Uweight = 99;
    public const int AggServerStatus = 100;
    public const int AggServerCheckStatus = 101;
    public const int AggCheckStatus = 102;
    public const int ModuleSeparator = 103;
    public const int SslSess = 104;
    public const int SslReusedSess = 105;
    public const int SslFailedHandshake = 106;
    public const int H2HeadersRcvd = 107;
    public const int H2DataRcvd = 108;
    public const int H2SettingsRcvd = 109;
    public const int H2RstStreamRcvd = 110;
    public const int H2GoawayRcvd = 111;
    public const int H2DetectedConnProtocolErrors = 112;
    public const int H2DetectedStrmProtocolErrors = 113;
    public const int H2RstStreamResp = 114;
    public const int H2GoawayResp = 115;
    public const int H2OpenConnections = 116;
    public const int H2BackendOpenStreams = 117;
    public const int H2TotalConnections = 118;
    public const int H2BackendTotalStreams = 119;
    public const int H1OpenConnections = 120;
    public const int H1OpenStreams = 121;
    public const int H1TotalConnections = 122;
    public const int H1TotalStreams = 123;
    public const int H1BytesIn = 124;
    public const int H1BytesOut = 125;
    public const int H1SplicedBytesIn = 126;
    public const int H1SplicedBytesOut = 127;

    public const int Count = 128;

    /// <summary>The position `show stat typed` and `json` give a column.</summary>
    public static int TypedPosition(int field) => field > ModuleSeparator ? field - 1 : field;

    /// <summary>The column names, in order.</summary>
    public static readonly string[] Names =
    [
        "pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout", "dreq", "dresp", "ereq",
        "econ", "eresp", "wretr", "wredis", "status", "weight", "act", "bck", "chkfail", "chkdown", "lastchg",
        "downtime", "qlimit", "pid", "iid", "sid", "throttle", "lbtot", "tracked", "type", "rate", "rate_lim",
        "rate_max", "check_status", "check_code", "check_duration", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx",
        "hrsp_5xx", "hrsp_other", "hanafail", "req_rate", "req_rate_max", "req_tot", "cli_abrt", "srv_abrt", "comp_in",
        "comp_out", "comp_byp", "comp_rsp", "lastsess", "last_chk", "last_agt", "qtime", "ctime", "rtime", "ttime",
        "agent_status", "agent_code", "agent_duration", "check_desc", "agent_desc", "check_rise", "check_fall",
        "check_health", "agent_rise", "agent_fall", "agent_health", "addr", "cookie", "mode", "algo", "conn_rate",
        "conn_rate_max", "conn_tot", "intercepted", "dcon", "dses", "wrew", "connect", "reuse", "cache_lookups",
        "cache_hits", "srv_icur", "src_ilim", "qtime_max", "ctime_max", "rtime_max", "ttime_max", "eint",
        "idle_conn_cur", "safe_conn_cur", "used_conn_cur", "need_conn_est", "uweight", "agg_server_status",
        "agg_server_check_status", "agg_check_status", "-", "ssl_sess", "ssl_reused_sess", "ssl_failed_handshake",
        "h2_headers_rcvd", "h2_data_rcvd", "h2_settings_rcvd", "h2_rst_stream_rcvd", "h2_goaway_rcvd",
        "h2_detected_conn_protocol_errors", "h2_detected_strm_protocol_errors", "h2_rst_stream_resp", "h2_goaway_resp",
        "h2_open_connections", "h2_backend_open_streams", "h2_total_connections", "h2_backend_total_streams",
        "h1_open_connections", "h1_open_streams", "h1_total_connections", "h1_total_streams", "h1_bytes_in",
        "h1_bytes_out", "h1_spliced_bytes_in", "h1_spliced_bytes_out",
    ];

    /// <summary>`show stat typed` tags of frontend rows, by column; null where HAProxy prints none.</summary>
    public static readonly string?[] FrontendTags =
    [
        "KNS:str", "KNS:str", null, null, "MGP:u32", "MMP:u32", "CLP:u32", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64",
        "MCP:u64", "MCP:u64", null, null, null, null, "SGP:str", null, null, null, null, null, null, null, null,
        "KGP:u32", "KGS:u32", "KGS:u32", null, null, null, "CGS:u32", "MRP:u32", "CLP:u32", "MMP:u32", null, null, null,
        "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", null, "MRP:u32", "MMP:u32", "MCP:u64", null,
        null, "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", null, null, null, null, null, null, null, null, null, null,
        null, null, null, null, null, null, null, null, null, null, "CGS:str", null, "MRP:u32", "MMP:u32", "MCP:u64",
        "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", null, null, "MCP:u64", "MCP:u64", null, null, null, null, null,
        null, "MCP:u64", null, null, null, null, null, null, null, null, null, "MCP:u64", "MCP:u64", "MCP:u64",
        "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MGP:u64",
        "MGP:u64", "MCP:u64", "MCP:u64", "MGP:u64", "MGP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64",
        "MCP:u64",
    ];

    /// <summary>`show stat typed` tags of listener rows (`option socket-stats`), by column; null where HAProxy prints none.</summary>
    public static readonly string?[] ListenerTags = BuildListenerTags();

    private static string?[] BuildListenerTags()
    {
        var tags = new string?[Count];
        tags[Pxname] = tags[Svname] = "KNS:str";
        tags[Scur] = "MGP:u32";
        tags[Smax] = "MMP:u32";
        tags[Slim] = "CLP:u32";
        tags[Stot] = tags[Bin] = tags[Bout] = tags[Dreq] = tags[Dresp] = tags[Ereq] = "MCP:u64";
        tags[Status] = "SGP:str";
        tags[Pid] = "KGP:u32";
        tags[Iid] = tags[Sid] = "KGS:u32";
        tags[Type] = "CGS:u32";
        tags[Addr] = tags[Mode] = "CGS:str";
        tags[Dcon] = tags[Dses] = tags[Wrew] = tags[Eint] = "MCP:u64";
        tags[SslSess] = tags[SslReusedSess] = tags[SslFailedHandshake] = "MCP:u64";
        return tags;
    }

    /// <summary>`show stat typed` tags of backend rows, by column; null where HAProxy prints none.</summary>
    public static readonly string?[] BackendTags =
    [
        "KNS:str", "KNS:str", "MGP:u32", "MMP:u32", "MGP:u32", "MMP:u32", "CLP:u32", "MCP:u64", "MCP:u64", "MCP:u64",
        "MCP:u64", "MCP:u64", null, "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "SGP:str", "MaP:u32", "MGP:u32",
        "MGP:u32", null, "MCP:u64", "MAP:u32", "MCP:u32", null, "KGP:u32", "KGS:u32", "KGS:u32", null, "MCP:u64", null,
        "CGS:u32", "MGP:u32", null, "MGP:u32", null, null, null, "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64",
        "MCP:u64", null, null, null, "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64",
        "MAP:s32", null, null, "MaP:u32", "MaP:u32", "MaP:u32", "MaP:u32", null, null, null, null, null, null, null,
        null, null, null, null, null, null, "CGS:str", "CGS:str", null, null, null, null, null, null, "MCP:u64",
        "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", null, null, "MMP:u32", "MMP:u32", "MMP:u32", "MMP:u32", "MCP:u64",
        null, null, null, null, "MaP:u32", "MGP:u32", "MGP:u32", "MGP:u32", null, "MCP:u64", "MCP:u64", "MCP:u64",
        "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MGP:u64",
        "MGP:u64", "MCP:u64", "MCP:u64", "MGP:u64", "MGP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64",
        "MCP:u64",
    ];

    /// <summary>`show stat typed` tags of server rows, by column; null where HAProxy prints none.</summary>
    public static readonly string?[] ServerTags =
    [
        "KNS:str", "KNS:str", "MGP:u32", "MMP:u32", "MGP:u32", "MMP:u32", "CLP:u32", "MCP:u64", "MCP:u64", "MCP:u64",
        null, "MCP:u64", null, "MCP:u64", "MCP:u64", "MCP:u64", "MCP:u64", "SGP:str", "MaP:u32", "SGP:u32", "SGP:u32",
        "MCP:u64", "MCP:u64", "MAP:u32", "MCP:u32", null, "KGP:u32", "KGS:u32", "KGS:u32", null, "MCP:u64", null,
        "CGS:u32", "MRP:u32", null, "MMP:u32", "MOP:str", "MOP:u32", "MDP:u64", "MCP:u64", "MCP:u64", "MCP:u64",
        "MCP:u64", "MCP:u64", "MCP:u64", null, null, null, "MCP:u64", "MCP:u64", "MCP:u64", null, null, null, null,
        "MAP:s32", "MOP:str", null, "MaP:u32", "MaP:u32", "MaP:u32", "MaP:u32", null, null, null, "MOP:str", null,
        "CGS:u32", "CGS:u32", "CGS:u32", null, null, null, "CGS:str", null, "CGS:str", null, null, null, null, null,
        null, null, "MCP:u64", "MCP:u64", "MCP:u64", null, null, "MGP:u32", null, "MMP:u32", "MMP:u32", "MMP:u32",
        "MMP:u32", "MCP:u64", "MGP:u32", "MGP:u32", "MGP:u32", "MGP:u32", "MaP:u32", null, null, null, null, "MCP:u64",
        "MCP:u64", "MCP:u64", null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        null, null, null, null, null, null,
    ];
}
