using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Sluice.Integration.Fixtures;

/// <summary>What a <see cref="NginxBackend"/> serves.</summary>
internal sealed record NginxOptions
{
    /// <summary>Request headers that <c>/headers</c> reports, by name (case does not matter).</summary>
    public static readonly IReadOnlyList<string> DefaultEchoHeaders =
    [
        "Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Original-To", "X-Real-IP", "Forwarded",
        "Via", "Connection", "Upgrade", "Keep-Alive", "TE", "Transfer-Encoding", "Content-Length", "Expect", "User-Agent",
        "X-Test",
    ];

    /// <summary>The body of <c>/small</c> (nginx's <c>return 200</c>: no double quote, backslash or <c>$</c>).</summary>
    public string SmallBody { get; init; } = "hello from nginx\n";

    /// <summary>The size of <c>/large</c>, a file of the pattern of <see cref="NginxBackend.LargeByteAt"/>.</summary>
    public long LargeFileBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>Makes <c>/large</c> a sparse file of zeros instead (instant to create, any size).</summary>
    public bool SparseLargeFile { get; init; }

    /// <summary>Request headers that <c>/headers</c> reports.</summary>
    public IReadOnlyList<string> EchoHeaders { get; init; } = DefaultEchoHeaders;

    /// <summary>More files, served under <c>/files/NAME</c>.</summary>
    public IReadOnlyDictionary<string, byte[]> Files { get; init; } = new Dictionary<string, byte[]>();

    /// <summary>Raw directives added to the server block, e.g. <c>location = /teapot { return 418; }</c>.</summary>
    public string ExtraServerDirectives { get; init; } = string.Empty;

    /// <summary>Parameters of the <c>listen</c> directive after the address, e.g. <c> ssl</c> (with <c>ssl_certificate</c> in <see cref="ExtraServerDirectives"/>).</summary>
    public string ListenParameters { get; init; } = string.Empty;

    public int KeepaliveRequests { get; init; } = 1000;

    /// <summary>Serves cleartext HTTP/2 with prior knowledge (<c>listen ... http2</c>) instead of HTTP/1.1.</summary>
    public bool Http2 { get; init; }

    public TimeSpan KeepaliveTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// A real nginx on a free loopback port, one process (<c>daemon off; master_process off;</c>) with its configuration,
/// pid file, logs and temporary files in a private directory. It serves:
/// <list type="bullet">
/// <item><c>/small</c>: 200 with <see cref="NginxOptions.SmallBody"/>;</item>
/// <item><c>/large</c>: a static file of <see cref="NginxOptions.LargeFileBytes"/> (100 MiB by default), sendfile;</item>
/// <item><c>/headers</c>: 200 with one <c>name: value</c> line per header of <see cref="NginxOptions.EchoHeaders"/>
/// (empty when absent) and the lines <c>method</c>, <c>uri</c>, <c>protocol</c>, <c>remote</c>,
/// <c>connection-requests</c> (the how-manyth request on that connection); see <see cref="ParseEcho"/>;</item>
/// <item><c>/upload</c>: any method with a body of any size (<c>client_max_body_size 0</c>, chunked or not); nginx
/// reads the whole body before answering <c>received N</c> (N = the body's length);</item>
/// <item><c>/files/NAME</c>: the files of <see cref="NginxOptions.Files"/>.</item>
/// </list>
/// Keep-alive is on. <see cref="AccessLog"/> has one line per request: method, uri, protocol, status, request
/// length, body bytes sent, connection serial number and request number on that connection.
/// </summary>
internal sealed class NginxBackend : IAsyncDisposable
{
    public const string SmallPath = "/small";
    public const string LargePath = "/large";
    public const string HeadersPath = "/headers";
    public const string UploadPath = "/upload";
    public const string NginxPath = "/usr/sbin/nginx";

    private readonly PeerProcess _process;

    private NginxBackend(PeerProcess process, string directory, int port, NginxOptions options)
    {
        _process = process;
        Directory = directory;
        Port = port;
        Options = options;
    }

    public int Port { get; }

    /// <summary>The address as a server line writes it.</summary>
    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The private directory: nginx.conf, error.log, access.log, www/.</summary>
    public string Directory { get; }

    public NginxOptions Options { get; }

    public int ProcessId => _process.ProcessId;

    public string Url(string path) => "http://" + Address + path;

    public string ErrorLog => ReadShared(Path.Combine(Directory, "error.log"));

    public IReadOnlyList<string> AccessLog =>
        ReadShared(Path.Combine(Directory, "access.log")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static async Task<NginxBackend> StartAsync(NginxOptions? options = null)
    {
        options ??= new NginxOptions();
        if (!File.Exists(NginxPath))
        {
            throw new InvalidOperationException($"{NginxPath} is required by this test: install the Debian package 'nginx-light' (scripts/test.sh does)");
        }

        var directory = Ports.TempDirectory();
        try
        {
            await WriteContentAsync(directory, options);

            // A port can be taken between the check and nginx's bind: try again with another.
            for (var attempt = 1; ; attempt++)
            {
                var port = Ports.FreeListeningPort();
                var configPath = Path.Combine(directory, "nginx.conf");
                await File.WriteAllTextAsync(configPath, Config(directory, port, options));
                var process = PeerProcess.Start(NginxPath, ["-p", directory, "-c", configPath, "-e", Path.Combine(directory, "error.log")], directory);
                var backend = new NginxBackend(process, directory, port, options);
                try
                {
                    await WaitListeningAsync(process, port);
                    return backend;
                }
                catch (InvalidOperationException) when (attempt < 5 && ReadShared(Path.Combine(directory, "error.log")).Contains("Address already in use", StringComparison.Ordinal))
                {
                    await process.DisposeAsync();
                    File.Delete(Path.Combine(directory, "error.log"));
                }
                catch
                {
                    await process.DisposeAsync();
                    throw;
                }
            }
        }
        catch
        {
            DeleteDirectory(directory);
            throw;
        }
    }

    /// <summary>The byte at <paramref name="offset"/> of <c>/large</c>: 16-byte records, each the record's number in
    /// 15 hexadecimal digits and a newline, so that a lost, repeated or shifted range shows where it happened.</summary>
    public static byte LargeByteAt(long offset)
    {
        var position = (int)(offset % 16);
        if (position == 15)
        {
            return (byte)'\n';
        }

        var digit = (int)((offset / 16) >> (4 * (14 - position))) & 0xF;
        return (byte)"0123456789abcdef"[digit];
    }

    /// <summary>Reads <paramref name="body"/> to its end and checks it is exactly <c>/large</c>'s content.</summary>
    public async Task VerifyLargeBodyAsync(Stream body, CancellationToken cancellationToken = default)
    {
        var buffer = new byte[1 << 16];
        long offset = 0;
        while (true)
        {
            var read = await body.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                break;
            }

            for (var i = 0; i < read; i++)
            {
                var expected = Options.SparseLargeFile ? (byte)0 : LargeByteAt(offset + i);
                if (buffer[i] != expected)
                {
                    throw new InvalidDataException($"/large differs at byte {offset + i}: 0x{buffer[i]:x2} instead of 0x{expected:x2}");
                }
            }

            offset += read;
        }

        if (offset != Options.LargeFileBytes)
        {
            throw new InvalidDataException($"/large ended after {offset} bytes instead of {Options.LargeFileBytes}");
        }
    }

    /// <summary>The lines of a <c>/headers</c> answer as a dictionary (names in lower case; absent headers are empty).</summary>
    public static Dictionary<string, string> ParseEcho(string body)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                result[line[..colon]] = line[(colon + 1)..].Trim();
            }
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        DeleteDirectory(Directory);
    }

    private static string Config(string directory, int port, NginxOptions options)
    {
        var echo = new StringBuilder();
        echo.Append("method: $request_method\\nuri: $request_uri\\nprotocol: $server_protocol\\nremote: $remote_addr:$remote_port\\n");
        echo.Append("connection-requests: $connection_requests\\n");
        foreach (var name in options.EchoHeaders)
        {
            var variable = "$http_" + name.ToLowerInvariant().Replace('-', '_');
            echo.Append(CultureInfo.InvariantCulture, $"{name.ToLowerInvariant()}: {variable}\\n");
        }

        var sink = Path.Combine(directory, "sink.sock");
        return $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log info;
            events { worker_connections 1024; }
            http {
                log_format t '$request_method $request_uri $server_protocol $status $request_length $body_bytes_sent conn=$connection reqs=$connection_requests';
                access_log {{directory}}/access.log t;
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                sendfile on;
                keepalive_requests {{options.KeepaliveRequests}};
                keepalive_timeout {{(int)options.KeepaliveTimeout.TotalSeconds}}s;
                default_type application/octet-stream;
                server {
                    listen 127.0.0.1:{{port}}{{(options.Http2 ? " http2" : string.Empty)}}{{options.ListenParameters}};
                    root {{directory}}/www;
                    location = {{SmallPath}} {
                        default_type text/plain;
                        return 200 "{{options.SmallBody.Replace("\n", "\\n", StringComparison.Ordinal)}}";
                    }
                    location = {{LargePath}} {
                        alias {{directory}}/www/large.bin;
                    }
                    location = {{HeadersPath}} {
                        default_type text/plain;
                        return 200 "{{echo}}";
                    }
                    location = {{UploadPath}} {
                        client_max_body_size 0;
                        proxy_http_version 1.1;
                        proxy_pass http://unix:{{sink}}:/sink;
                    }
                    location /files/ {
                        alias {{directory}}/www/files/;
                    }
                    {{options.ExtraServerDirectives}}
                }
                server {
                    listen unix:{{sink}};
                    location = /sink {
                        default_type text/plain;
                        client_max_body_size 0;
                        return 200 "received $content_length\n";
                    }
                }
            }
            """;
    }

    private static async Task WriteContentAsync(string directory, NginxOptions options)
    {
        var www = Path.Combine(directory, "www");
        System.IO.Directory.CreateDirectory(Path.Combine(www, "files"));
        await using (var large = new FileStream(Path.Combine(www, "large.bin"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            if (options.SparseLargeFile)
            {
                large.SetLength(options.LargeFileBytes);
            }
            else
            {
                var chunk = new byte[1 << 20];
                for (long offset = 0; offset < options.LargeFileBytes; offset += chunk.Length)
                {
                    var length = (int)Math.Min(chunk.Length, options.LargeFileBytes - offset);
                    FillPattern(chunk.AsSpan(0, length), offset);
                    await large.WriteAsync(chunk.AsMemory(0, length));
                }
            }
        }

        foreach (var (name, content) in options.Files)
        {
            await File.WriteAllBytesAsync(Path.Combine(www, "files", name), content);
        }
    }

    private static void FillPattern(Span<byte> span, long offset)
    {
        // offset is a multiple of 16: whole records.
        Span<byte> record = stackalloc byte[16];
        for (var i = 0; i < span.Length; i += 16)
        {
            var number = (offset + i) / 16;
            for (var d = 14; d >= 0; d--)
            {
                record[d] = (byte)"0123456789abcdef"[(int)(number & 0xF)];
                number >>= 4;
            }

            record[15] = (byte)'\n';
            record[..Math.Min(16, span.Length - i)].CopyTo(span[i..]);
        }
    }

    private static async Task WaitListeningAsync(PeerProcess process, int port)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {process.ExitCode}:\n{process.Output.Text}");
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static string ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return string.Empty;
        }
    }

    private static void DeleteDirectory(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
