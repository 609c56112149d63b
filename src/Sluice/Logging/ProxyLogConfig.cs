namespace Sluice.Logging;

/// <summary>Which format a proxy's log lines take.</summary>
internal enum LogFormatChoice : byte
{
    /// <summary>No option nor `log-format`: HAProxy's "Connect from" line at accept.</summary>
    None,
    Tcp,
    Http,
    HttpClf,
    Https,
    Custom,
}

/// <summary>The log of a frontend as the configuration defines it (the live part is <see cref="LogSender"/>).</summary>
internal sealed record ProxyLogConfig
{
    public required IReadOnlyList<LogTarget> Targets { get; init; }

    /// <summary>`log-tag` of the proxy, else of the global section, else `haproxy`, the name log pipelines expect.</summary>
    public string Tag { get; init; } = DefaultTag;

    /// <summary>`log-send-hostname`: the host name in rfc3164 and rfc5424 headers; null when not sent.</summary>
    public string? Hostname { get; init; }

    public required LogFormat Format { get; init; }

    public LogFormatChoice Choice { get; init; }

    /// <summary>`error-log-format`: the lines of connections that failed before their session (TLS handshakes); null for HAProxy's fixed line.</summary>
    public LogFormat? ErrorFormat { get; init; }

    /// <summary>`log-format-sd`: the structured-data part of rfc5424 headers; null for `-`.</summary>
    public LogFormat? StructuredData { get; init; }


    public bool DontLogNull { get; init; }

    public bool DontLogNormal { get; init; }

    public bool LogAsap { get; init; }

    public bool SeparateErrors { get; init; }

    public const string DefaultTag = "haproxy";

    /// <summary>HAProxy's default formats (log.c, configuration.txt §8.2).</summary>
    public const string HttpFormat = "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r";

    public const string HttpsFormat = HttpFormat + " %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc";

    public const string ClfFormat = "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl";

    public const string TcpFormat = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";

    /// <summary>The line of a proxy without a log format, at accept: `Connect from 127.0.0.1:4242 to 127.0.0.1:80 (fe/HTTP)`.</summary>
    public const string ConnectFormat = "Connect from %ci:%cp to %fi:%fp (%f/";

    public static string TextOf(LogFormatChoice choice) => choice switch
    {
        LogFormatChoice.Tcp => TcpFormat,
        LogFormatChoice.Http => HttpFormat,
        LogFormatChoice.HttpClf => ClfFormat,
        LogFormatChoice.Https => HttpsFormat,
        _ => ConnectFormat,
    };
}
