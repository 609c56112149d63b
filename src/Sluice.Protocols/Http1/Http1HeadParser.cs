using System.Buffers;
using System.Text;
using System.Runtime.CompilerServices;
using Sluice.Protocols.Text;

namespace Sluice.Protocols.Http1;

/// <summary>
/// Resumable parser of HTTP/1.x message heads (RFC 9112 §2-§5): request or status line, then field lines, then
/// the empty line. Pure: no I/O, no allocation per message, no state beyond <see cref="Http1HeadState"/>.
/// </summary>
/// <remarks>
/// <para>Contract of every Parse method:</para>
/// <list type="bullet">
/// <item><description>Input: <c>buffer</c> starts where the previous call's <c>consumed</c> pointed (or at the first
/// byte of the head) and holds every byte received since. <c>state</c> is the same variable as in the previous call.</description></item>
/// <item><description><see cref="Http1ParseStatus.Complete"/>: the head was delivered to the handler, ending with
/// <see cref="IHttp1HeadersHandler.OnHeadersComplete"/>; <c>consumed</c> and <c>examined</c> point just after the
/// empty line. The body or the next message stays in the buffer.</description></item>
/// <item><description><see cref="Http1ParseStatus.NeedMoreData"/>: every complete line before <c>consumed</c> was
/// delivered; the partial line after it stays in the buffer; <c>examined</c> is the end of the buffer.</description></item>
/// <item><description><see cref="Http1ParseStatus.Rejected"/>: <see cref="Http1HeadState.RejectReason"/> and
/// <see cref="Http1HeadState.ErrorOffset"/> tell why and where; <c>consumed</c> is the start of the faulty line. Lines
/// before it may have been delivered. The connection must be closed after the error response.</description></item>
/// </list>
/// <para>Cost bound: the terminator search resumes where the previous call stopped, and a line is validated only
/// once it is complete, so input fed one byte at a time has each byte examined at most twice (a folded field in
/// relaxed mode is copied once more). A line split across segments is copied once, to the stack up to 256
/// bytes, else into a buffer rented from the shared array pool.</para>
/// </remarks>
public static class Http1HeadParser
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    /// <summary>Split lines up to this length are copied to the stack; longer ones to a pooled array.</summary>
    private const int StackCopyThreshold = 256;

    /// <summary>Parses a request head. See the class remarks for the contract.</summary>
    public static Http1ParseStatus ParseRequestHead<THandler>(
        ref Http1HeadState state,
        in ReadOnlySequence<byte> buffer,
        ref THandler handler,
        Http1ParserOptions options,
        out SequencePosition consumed,
        out SequencePosition examined)
        where THandler : struct, IHttp1RequestHandler
        => Parse<THandler, RequestLine<THandler>>(ref state, buffer, ref handler, options, out consumed, out examined);

    /// <summary>Parses a response head. See the class remarks for the contract.</summary>
    public static Http1ParseStatus ParseResponseHead<THandler>(
        ref Http1HeadState state,
        in ReadOnlySequence<byte> buffer,
        ref THandler handler,
        Http1ParserOptions options,
        out SequencePosition consumed,
        out SequencePosition examined)
        where THandler : struct, IHttp1ResponseHandler
        => Parse<THandler, StatusLine<THandler>>(ref state, buffer, ref handler, options, out consumed, out examined);

    /// <summary>
    /// Parses a field section without a start line (a trailer section, RFC 9112 §7.1.2); <paramref name="state"/>
    /// comes from <see cref="Http1HeadState.ForFieldSection"/>. See the class remarks for the contract.
    /// </summary>
    public static Http1ParseStatus ParseFieldSection<THandler>(
        ref Http1HeadState state,
        in ReadOnlySequence<byte> buffer,
        ref THandler handler,
        Http1ParserOptions options,
        out SequencePosition consumed,
        out SequencePosition examined)
        where THandler : struct, IHttp1HeadersHandler
        => Parse<THandler, NoStartLine<THandler>>(ref state, buffer, ref handler, options, out consumed, out examined);

    private static Http1ParseStatus Parse<THandler, TStartLine>(
        ref Http1HeadState state,
        in ReadOnlySequence<byte> buffer,
        ref THandler handler,
        Http1ParserOptions options,
        out SequencePosition consumed,
        out SequencePosition examined)
        where THandler : struct, IHttp1HeadersHandler
        where TStartLine : struct, IStartLine<THandler>
    {
        if (buffer.IsSingleSegment)
        {
            return ParseSingleSpan<THandler, TStartLine>(ref state, buffer, ref handler, options, out consumed, out examined);
        }

        ReadOnlySequence<byte> remaining = buffer;
        while (true)
        {
            if (state.Phase == Http1HeadPhase.Complete || state.Phase == Http1HeadPhase.Rejected)
            {
                consumed = remaining.Start;
                examined = consumed;
                return state.Phase == Http1HeadPhase.Complete ? Http1ParseStatus.Complete : Http1ParseStatus.Rejected;
            }

            bool inFields = state.Phase == Http1HeadPhase.Fields;
            bool fold = inFields && options.Has(Http1ParserFlags.ReplaceObsFold);
            long lineLength = FindLineEnd(remaining, ref state.ScanOffset, fold);
            if (lineLength < 0)
            {
                // No complete line: refuse at once when the partial line can no longer fit (RFC 9112 §3: 414;
                // RFC 6585 §5: 431), so that a client cannot make us hold an unbounded line.
                Http1RejectReason tooLong = Http1RejectReason.None;
                if (!inFields && remaining.Length > options.MaxStartLineLength
                    && (remaining.Length > options.MaxStartLineLength + 1L || ByteAt(remaining, remaining.Length - 1) != Cr))
                {
                    tooLong = TStartLine.TooLongReason;
                }
                else if (inFields && TooLarge(state, remaining.Length, options))
                {
                    tooLong = Http1RejectReason.HeaderSectionTooLarge;
                }

                if (tooLong != Http1RejectReason.None)
                {
                    return Reject(ref state, tooLong, remaining, out consumed, out examined);
                }

                consumed = remaining.Start;
                examined = buffer.End;
                return Http1ParseStatus.NeedMoreData;
            }

            if (inFields && TooLarge(state, lineLength, options))
            {
                return Reject(ref state, Http1RejectReason.HeaderSectionTooLarge, remaining, out consumed, out examined);
            }

            Http1RejectReason reason;
            ReadOnlySpan<byte> first = remaining.FirstSpan;
            if (lineLength <= first.Length)
            {
                reason = ProcessLine<THandler, TStartLine>(ref state, first.Slice(0, (int)lineLength), ref handler, options);
            }
            else
            {
                reason = ProcessSplitLine<THandler, TStartLine>(ref state, remaining.Slice(0, lineLength), ref handler, options);
            }

            if (reason != Http1RejectReason.None)
            {
                return Reject(ref state, reason, remaining, out consumed, out examined);
            }

            if (inFields)
            {
                state.SectionBytes += (int)lineLength;
            }

            state.ScanOffset = 0;
            state.HeadLength += lineLength;
            remaining = remaining.Slice(lineLength);
        }
    }

    /// <summary>
    /// The same loop as <see cref="Parse"/> over one span with integer offsets: no sequence slicing, no copies.
    /// Every check happens in the same order as on the sequence path, so both give the same outcome.
    /// </summary>
    private static Http1ParseStatus ParseSingleSpan<THandler, TStartLine>(
        ref Http1HeadState state,
        in ReadOnlySequence<byte> buffer,
        ref THandler handler,
        Http1ParserOptions options,
        out SequencePosition consumed,
        out SequencePosition examined)
        where THandler : struct, IHttp1HeadersHandler
        where TStartLine : struct, IStartLine<THandler>
    {
        ReadOnlySpan<byte> span = buffer.FirstSpan;
        int offset = 0;
        Http1RejectReason reason = Http1RejectReason.None;
        while (state.Phase != Http1HeadPhase.Complete && state.Phase != Http1HeadPhase.Rejected)
        {
            ReadOnlySpan<byte> remaining = span.Slice(offset);
            bool inFields = state.Phase == Http1HeadPhase.Fields;
            bool fold = inFields && options.Has(Http1ParserFlags.ReplaceObsFold);
            int lineLength = FindLineEnd(remaining, ref state.ScanOffset, fold);
            if (lineLength < 0)
            {
                if (!inFields && remaining.Length > options.MaxStartLineLength
                    && (remaining.Length > options.MaxStartLineLength + 1L || remaining[^1] != Cr))
                {
                    reason = TStartLine.TooLongReason;
                }
                else if (inFields && TooLarge(state, remaining.Length, options))
                {
                    reason = Http1RejectReason.HeaderSectionTooLarge;
                }

                if (reason != Http1RejectReason.None)
                {
                    break;
                }

                consumed = buffer.GetPosition(offset);
                examined = buffer.End;
                return Http1ParseStatus.NeedMoreData;
            }

            if (inFields && TooLarge(state, lineLength, options))
            {
                reason = Http1RejectReason.HeaderSectionTooLarge;
                break;
            }

            reason = ProcessLine<THandler, TStartLine>(ref state, remaining.Slice(0, lineLength), ref handler, options);
            if (reason != Http1RejectReason.None)
            {
                break;
            }

            if (inFields)
            {
                state.SectionBytes += lineLength;
            }

            state.ScanOffset = 0;
            state.HeadLength += lineLength;
            offset += lineLength;
        }

        if (reason != Http1RejectReason.None)
        {
            return Reject(ref state, reason, buffer.Slice(offset), out consumed, out examined);
        }

        consumed = buffer.GetPosition(offset);
        examined = consumed;
        return state.Phase == Http1HeadPhase.Complete ? Http1ParseStatus.Complete : Http1ParseStatus.Rejected;
    }

    /// <summary>Span form of <see cref="FindLineEnd(in ReadOnlySequence{byte}, ref int, bool)"/>.</summary>
    private static int FindLineEnd(ReadOnlySpan<byte> remaining, ref int scanOffset, bool fold)
    {
        int from = scanOffset;
        while (true)
        {
            int lf = from < remaining.Length ? remaining.Slice(from).IndexOf(Lf) : -1;
            if (lf < 0)
            {
                scanOffset = remaining.Length;
                return -1;
            }

            lf += from;
            if (!fold || lf == 0 || (lf == 1 && remaining[0] == Cr))
            {
                return lf + 1;
            }

            if (lf + 1 >= remaining.Length)
            {
                scanOffset = lf;
                return -1;
            }

            if (!HttpCharacters.IsWhitespace(remaining[lf + 1]))
            {
                return lf + 1;
            }

            from = lf + 1;
        }
    }

    private static Http1ParseStatus Reject(
        ref Http1HeadState state,
        Http1RejectReason reason,
        in ReadOnlySequence<byte> remaining,
        out SequencePosition consumed,
        out SequencePosition examined)
    {
        state.Phase = Http1HeadPhase.Rejected;
        state.RejectReason = reason;
        state.ErrorOffset = state.HeadLength;
        consumed = remaining.Start;
        examined = consumed;
        return Http1ParseStatus.Rejected;
    }

    /// <summary>
    /// Length of the first line of <paramref name="remaining"/>, its LF included, or -1 when it is not complete.
    /// With <paramref name="fold"/>, a line followed by SP or HTAB continues on the next line (obs-fold), and a
    /// non-empty line is complete only once the byte after its LF is known. <paramref name="scanOffset"/> is
    /// where the search starts, and on -1 where the next search must start.
    /// </summary>
    internal static long FindLineEnd(in ReadOnlySequence<byte> remaining, ref int scanOffset, bool fold)
    {
        long from = scanOffset;
        while (true)
        {
            long lf = IndexOfLf(remaining, from);
            if (lf < 0)
            {
                scanOffset = (int)remaining.Length;
                return -1;
            }

            if (!fold || IsEmptyLine(remaining, lf))
            {
                return lf + 1;
            }

            if (lf + 1 >= remaining.Length)
            {
                scanOffset = (int)lf;
                return -1;
            }

            byte next = ByteAt(remaining, lf + 1);
            if (!HttpCharacters.IsWhitespace(next))
            {
                return lf + 1;
            }

            from = lf + 1;
        }
    }

    private static bool IsEmptyLine(in ReadOnlySequence<byte> remaining, long lf)
        => lf == 0 || (lf == 1 && ByteAt(remaining, 0) == Cr);

    private static long IndexOfLf(in ReadOnlySequence<byte> remaining, long from)
    {
        ReadOnlySpan<byte> first = remaining.FirstSpan;
        if (from < first.Length)
        {
            int i = first.Slice((int)from).IndexOf(Lf);
            if (i >= 0)
            {
                return from + i;
            }

            from = first.Length;
        }

        if (remaining.IsSingleSegment || from >= remaining.Length)
        {
            return -1;
        }

        return IndexOfLfSlow(remaining, from);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long IndexOfLfSlow(in ReadOnlySequence<byte> remaining, long from)
    {
        ReadOnlySequence<byte> rest = remaining.Slice(from);
        SequencePosition? position = rest.PositionOf(Lf);
        return position is null ? -1 : from + rest.Slice(0, position.Value).Length;
    }

    private static byte ByteAt(in ReadOnlySequence<byte> sequence, long index)
    {
        ReadOnlySpan<byte> first = sequence.FirstSpan;
        return index < first.Length ? first[(int)index] : sequence.Slice(index).FirstSpan[0];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Http1RejectReason ProcessSplitLine<THandler, TStartLine>(
        ref Http1HeadState state,
        in ReadOnlySequence<byte> line,
        ref THandler handler,
        Http1ParserOptions options)
        where THandler : struct, IHttp1HeadersHandler
        where TStartLine : struct, IStartLine<THandler>
    {
        // The line is bounded by the limits checked before, so the copy is bounded too.
        int length = (int)line.Length;
        if (length <= StackCopyThreshold)
        {
            Span<byte> copy = stackalloc byte[StackCopyThreshold];
            line.CopyTo(copy);
            return ProcessLine<THandler, TStartLine>(ref state, copy.Slice(0, length), ref handler, options);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            line.CopyTo(rented);
            return ProcessLine<THandler, TStartLine>(ref state, rented.AsSpan(0, length), ref handler, options);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Validates and delivers one complete line (LF included); returns the reject reason or None.</summary>
    private static Http1RejectReason ProcessLine<THandler, TStartLine>(
        ref Http1HeadState state,
        ReadOnlySpan<byte> line,
        ref THandler handler,
        Http1ParserOptions options)
        where THandler : struct, IHttp1HeadersHandler
        where TStartLine : struct, IStartLine<THandler>
    {
        // RFC 9112 §2.2: "a recipient MAY recognize a single LF as a line terminator".
        ReadOnlySpan<byte> content = line.Slice(0, line.Length - 1);
        bool crlf = content.Length > 0 && content[^1] == Cr;
        if (crlf)
        {
            content = content.Slice(0, content.Length - 1);
        }

        // The length check comes first, as it does on a partial line, so that the reason never depends on
        // how the input was cut.
        if (state.Phase == Http1HeadPhase.StartLine && content.Length > options.MaxStartLineLength)
        {
            return TStartLine.TooLongReason;
        }

        if (!crlf && !options.Has(Http1ParserFlags.AllowBareLf))
        {
            return Http1RejectReason.InvalidLineTerminator;
        }

        if (state.Phase == Http1HeadPhase.StartLine)
        {
            Http1RejectReason startReason = TStartLine.Parse(content, ref handler, options, out Http1Version version);
            if (startReason == Http1RejectReason.None)
            {
                state.Version = version;
                state.Phase = Http1HeadPhase.Fields;
            }

            return startReason;
        }

        if (content.IsEmpty)
        {
            state.Phase = Http1HeadPhase.Complete;
            handler.OnHeadersComplete();
            return Http1RejectReason.None;
        }

        if (HttpCharacters.IsWhitespace(content[0]))
        {
            // RFC 9112 §2.2: whitespace between the start line and the first field "MUST either reject the
            // message as invalid or ...". Any other leading whitespace is an obs-fold we did not merge (§5.2).
            return state.HeaderCount == 0 && !state.FieldsOnly
                ? Http1RejectReason.WhitespaceAfterStartLine
                : Http1RejectReason.ObsFold;
        }

        // The last of the MaxHeaderCount slots is the end of the section, as in HAProxy's h1_headers_to_hdr_list.
        if (state.HeaderCount >= options.MaxHeaderCount - 1)
        {
            return Http1RejectReason.TooManyHeaders;
        }

        Http1RejectReason reason = content.Contains(Lf)
            ? ProcessFoldedField(content, ref handler, options)
            : ProcessField(content, ref handler, folded: false);
        if (reason == Http1RejectReason.None)
        {
            state.HeaderCount++;
        }

        return reason;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Http1RejectReason ProcessFoldedField<THandler>(ReadOnlySpan<byte> content, ref THandler handler, Http1ParserOptions options)
        where THandler : struct, IHttp1HeadersHandler
    {
        // RFC 9112 §5.2: "replace each received obs-fold with one or more SP octets prior to interpreting the
        // field value or forwarding the message downstream". Only the CRLF (or LF) of each fold is replaced, so
        // a bare CR elsewhere still fails the value check.
        byte[] rented = ArrayPool<byte>.Shared.Rent(content.Length);
        try
        {
            Span<byte> copy = rented.AsSpan(0, content.Length);
            content.CopyTo(copy);
            int lf;
            int start = 0;
            while ((lf = copy.Slice(start).IndexOf(Lf)) >= 0)
            {
                lf += start;
                copy[lf] = (byte)' ';
                if (lf > 0 && copy[lf - 1] == Cr)
                {
                    copy[lf - 1] = (byte)' ';
                }
                else if (!options.Has(Http1ParserFlags.AllowBareLf))
                {
                    return Http1RejectReason.InvalidLineTerminator;
                }

                start = lf + 1;
            }

            return ProcessField(copy, ref handler, folded: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static Http1RejectReason ProcessField<THandler>(ReadOnlySpan<byte> content, ref THandler handler, bool folded)
        where THandler : struct, IHttp1HeadersHandler
    {
        // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS.
        int colon = content.IndexOf((byte)':');
        if (colon < 0)
        {
            return Http1RejectReason.MissingColon;
        }

        ReadOnlySpan<byte> name = content.Slice(0, colon);
        if (name.IsEmpty)
        {
            // RFC 9110 §5.1: field-name = token, so 1*tchar (HAProxy CVE-2023-25725).
            return Http1RejectReason.EmptyHeaderName;
        }

        if (HttpCharacters.IndexOfInvalid(name, HttpCharacters.Token) >= 0)
        {
            // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon ... MUST reject".
            return HttpCharacters.IsWhitespace(name[^1])
                ? Http1RejectReason.WhitespaceBeforeColon
                : Http1RejectReason.InvalidHeaderName;
        }

        ReadOnlySpan<byte> value = TrimOws(content.Slice(colon + 1));

        // RFC 9110 §5.5: CR, LF and NUL "MUST either reject the message or replace"; other CTLs are invalid too.
        if (HttpCharacters.IndexOfInvalid(value, HttpCharacters.FieldValue) >= 0)
        {
            return Http1RejectReason.InvalidHeaderValue;
        }

        if (folded && IsFramingField(name))
        {
            // A folded framing field would be read differently by a peer that does not unfold.
            return Http1RejectReason.ObsFold;
        }

        handler.OnHeader(name, value);
        return Http1RejectReason.None;
    }

    private static bool IsFramingField(ReadOnlySpan<byte> name)
        => Ascii.EqualsIgnoreCase(name, "content-length"u8)
            || Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8)
            || Ascii.EqualsIgnoreCase(name, "host"u8);

    internal static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> value)
    {
        int start = 0;
        int end = value.Length;
        while (start < end && HttpCharacters.IsWhitespace(value[start]))
        {
            start++;
        }

        while (end > start && HttpCharacters.IsWhitespace(value[end - 1]))
        {
            end--;
        }

        return value.Slice(start, end - start);
    }

    /// <summary>Parses "HTTP/1.0" or "HTTP/1.1" exactly (RFC 9112 §2.3: HTTP-name is case-sensitive).</summary>
    internal static Http1Version ParseVersion(ReadOnlySpan<byte> version)
    {
        if (version.Length != 8 || !version.StartsWith("HTTP/1."u8))
        {
            return Http1Version.Unknown;
        }

        return version[7] switch
        {
            (byte)'1' => Http1Version.Http11,
            (byte)'0' => Http1Version.Http10,
            _ => Http1Version.Unknown,
        };
    }

    internal interface IStartLine<THandler>
        where THandler : struct, IHttp1HeadersHandler
    {
        static abstract Http1RejectReason TooLongReason { get; }

        static abstract Http1RejectReason Parse(ReadOnlySpan<byte> line, ref THandler handler, Http1ParserOptions options, out Http1Version version);
    }

    internal readonly struct RequestLine<THandler> : IStartLine<THandler>
        where THandler : struct, IHttp1RequestHandler
    {
        public static Http1RejectReason TooLongReason => Http1RejectReason.RequestLineTooLong;

        public static Http1RejectReason Parse(ReadOnlySpan<byte> line, ref THandler handler, Http1ParserOptions options, out Http1Version version)
        {
            version = Http1Version.Unknown;

            // RFC 9112 §3: request-line = method SP request-target SP HTTP-version, one SP each.
            int sp1 = line.IndexOf((byte)' ');
            if (sp1 < 0)
            {
                return Http1RejectReason.InvalidRequestLine;
            }

            ReadOnlySpan<byte> method = line.Slice(0, sp1);
            if (method.IsEmpty || HttpCharacters.IndexOfInvalid(method, HttpCharacters.Token) >= 0)
            {
                // RFC 9112 §3.1: method = token.
                return Http1RejectReason.InvalidMethod;
            }

            ReadOnlySpan<byte> rest = line.Slice(sp1 + 1);
            int sp2 = rest.IndexOf((byte)' ');
            if (sp2 <= 0)
            {
                // No version (HTTP/0.9) or two SP in a row.
                return Http1RejectReason.InvalidRequestLine;
            }

            ReadOnlySpan<byte> target = rest.Slice(0, sp2);
            ReadOnlySpan<byte> versionText = rest.Slice(sp2 + 1);
            if (versionText.Contains((byte)' '))
            {
                return Http1RejectReason.InvalidRequestLine;
            }

            version = ParseVersion(versionText);
            if (version == Http1Version.Unknown)
            {
                return Http1RejectReason.InvalidVersion;
            }

            if (!Http1RequestTarget.TryClassify(method, target, options.Has(Http1ParserFlags.AllowObsTextInTarget), out Http1TargetForm form))
            {
                return Http1RejectReason.InvalidRequestTarget;
            }

            handler.OnRequestLine(method, target, form, version);
            return Http1RejectReason.None;
        }
    }

    internal readonly struct StatusLine<THandler> : IStartLine<THandler>
        where THandler : struct, IHttp1ResponseHandler
    {
        public static Http1RejectReason TooLongReason => Http1RejectReason.InvalidStatusLine;

        public static Http1RejectReason Parse(ReadOnlySpan<byte> line, ref THandler handler, Http1ParserOptions options, out Http1Version version)
        {
            // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]. A missing last SP is
            // tolerated: the reason is ignored by clients anyway and the framing does not depend on it.
            version = line.Length >= 8 ? ParseVersion(line.Slice(0, 8)) : Http1Version.Unknown;
            if (version == Http1Version.Unknown || line.Length < 12 || line[8] != (byte)' ')
            {
                return Http1RejectReason.InvalidStatusLine;
            }

            byte d0 = line[9];
            byte d1 = line[10];
            byte d2 = line[11];
            if (d0 < (byte)'1' || d0 > (byte)'5' || !HttpCharacters.IsDigit(d1) || !HttpCharacters.IsDigit(d2))
            {
                // RFC 9110 §15: status codes are three digits from 100 to 599.
                return Http1RejectReason.InvalidStatusLine;
            }

            ReadOnlySpan<byte> reasonPhrase = default;
            if (line.Length > 12)
            {
                if (line[12] != (byte)' ')
                {
                    return Http1RejectReason.InvalidStatusLine;
                }

                // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
                reasonPhrase = line.Slice(13);
                if (HttpCharacters.IndexOfInvalid(reasonPhrase, HttpCharacters.FieldValue) >= 0)
                {
                    return Http1RejectReason.InvalidStatusLine;
                }
            }

            int status = ((d0 - '0') * 100) + ((d1 - '0') * 10) + (d2 - '0');
            handler.OnStatusLine(version, status, reasonPhrase);
            return Http1RejectReason.None;
        }
    }

    internal readonly struct NoStartLine<THandler> : IStartLine<THandler>
        where THandler : struct, IHttp1HeadersHandler
    {
        public static Http1RejectReason TooLongReason => Http1RejectReason.HeaderSectionTooLarge;

        public static Http1RejectReason Parse(ReadOnlySpan<byte> line, ref THandler handler, Http1ParserOptions options, out Http1Version version)
        {
            version = Http1Version.Unknown;
            return Http1RejectReason.InvalidRequestLine;
        }
    }

    /// <summary>True when <paramref name="more"/> bytes of fields would make the field section or the whole head too large (431).</summary>
    private static bool TooLarge(in Http1HeadState state, long more, in Http1ParserOptions options) =>
        state.SectionBytes + more > options.MaxHeaderSectionSize || state.HeadLength + more > options.MaxHeadSize;
}
