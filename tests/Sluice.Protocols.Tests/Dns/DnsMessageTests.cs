using System.Net;
using Sluice.Protocols.Dns;

namespace Sluice.Protocols.Tests.Dns;

/// <summary>RFC 1035 messages written out by hand: a query, and responses with compressed names, CNAME chains and errors.</summary>
public class DnsMessageTests
{
    // Header of a response to id 0x1234: QR, RD, RA, the code in the low nibble; one question, then ANCOUNT answers.
    private static string Header(int answers, int code = 0, bool truncated = false, int authorities = 0, int additional = 0) =>
        "1234" + (truncated ? "83" : "81") + (0x80 | code).ToString("X2", System.Globalization.CultureInfo.InvariantCulture) + "0001" + Hex16(answers) + Hex16(authorities) + Hex16(additional);

    private static string Hex16(int value) => value.ToString("X4", System.Globalization.CultureInfo.InvariantCulture);

    // "_http._tcp.svc.test" SRV IN, at offset 12 (svc.test at offset 23, test at offset 27).
    private const string QuestionSrv = "055F68747470" + "045F746370" + "03737663" + "0474657374" + "00" + "0021" + "0001";

    // "app.test" A IN, at offset 12.
    private const string QuestionA = "03617070" + "0474657374" + "00" + "0001" + "0001";

    [Fact]
    public void Query_AsRfc1035_WithOptRecord()
    {
        var query = new byte[DnsMessage.MaxQueryLength];
        var length = DnsMessage.WriteQuery(query, 0x1234, "app.test", DnsRecordType.Aaaa, 1232);
        Assert.Equal(
            "1234" + "0100" + "0001" + "0000" + "0000" + "0001" + "03617070" + "0474657374" + "00" + "001C" + "0001"
            + "00" + "0029" + "04D0" + "00000000" + "0000",
            Convert.ToHexString(query, 0, length));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData("exämple.test")]
    public void Query_NameThatCannotBeAsked_Zero(string name) =>
        Assert.Equal(0, DnsMessage.WriteQuery(new byte[DnsMessage.MaxQueryLength], 1, name, DnsRecordType.A, 0));

    [Fact]
    public void Response_CompressedCnameThenAddresses_TheAddressesInOrder()
    {
        // app.test CNAME web.test (web at offset 38), web.test A 192.0.2.1, web.test A 192.0.2.2; names compressed.
        var hex = Header(3) + QuestionA
            + "C00C" + "0005" + "0001" + "0000003C" + "0006" + "03776562" + "C010"
            + "C026" + "0001" + "0001" + "0000003C" + "0004" + "C0000201"
            + "C026" + "0001" + "0001" + "0000003C" + "0004" + "C0000202";
        var answer = DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.A);
        Assert.NotNull(answer);
        Assert.Equal(DnsResponseCode.NoError, answer.Value.Code);
        Assert.Equal([IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2")], answer.Value.Addresses);
    }

    [Fact]
    public void Response_OtherTypeOnly_NoAddress()
    {
        var hex = Header(1) + QuestionA + "C00C" + "001C" + "0001" + "0000003C" + "0010" + "20010DB8000000000000000000000001";
        Assert.Empty(DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.A)!.Value.Addresses);
        Assert.Equal([IPAddress.Parse("2001:db8::1")], DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.Aaaa)!.Value.Addresses);
    }

    [Theory]
    [InlineData(3, DnsResponseCode.NameError)]
    [InlineData(5, DnsResponseCode.Refused)]
    [InlineData(2, DnsResponseCode.ServerFailure)]
    public void Response_ErrorCode(int code, DnsResponseCode expected) =>
        Assert.Equal(expected, DnsMessage.ReadResponse(Convert.FromHexString(Header(0, code) + QuestionA), DnsRecordType.A)!.Value.Code);

    [Fact]
    public void Response_Truncated_Flagged() =>
        Assert.True(DnsMessage.ReadResponse(Convert.FromHexString(Header(0, truncated: true) + QuestionA), DnsRecordType.A)!.Value.Truncated);

    [Theory]
    [InlineData("0100")] // shorter than a header
    [InlineData("1234" + "0100" + "0001" + "0000" + "0000" + "0000" + "03617070")] // a query, not a response
    public void Malformed_Null(string hex) => Assert.Null(DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.A));

    [Fact]
    public void Response_AnswerPastTheEnd_Null()
    {
        var hex = Header(1) + QuestionA + "C00C" + "0001" + "0001" + "0000003C" + "0004" + "C000";
        Assert.Null(DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.A));
    }

    [Fact]
    public void Response_LabelRunningPastTheEnd_Null()
    {
        var hex = Header(0) + "3F617070";
        Assert.Null(DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.A));
    }

    [Fact]
    public void SrvResponse_TargetsAndTheirAdditionalAddresses()
    {
        // Two SRV records (targets a.test written out at offset 55, b.test compressed onto "test"), an NS record in the
        // authority section to skip, then A and AAAA additional records whose names point into the SRV data.
        var hex = Header(2, authorities: 1, additional: 3) + QuestionSrv
            + "C00C" + "0021" + "0001" + "0000003C" + "000E" + "0000" + "000A" + "1F91" + "0161" + "0474657374" + "00"
            + "C00C" + "0021" + "0001" + "0000003C" + "000A" + "0001" + "012C" + "1F92" + "0162" + "C01B"
            + "C017" + "0002" + "0001" + "0000003C" + "0002" + "C017"
            + "C037" + "0001" + "0001" + "0000003C" + "0004" + "7F00000B"
            + "C051" + "001C" + "0001" + "0000003C" + "0010" + "20010DB8000000000000000000000002"
            + "C037" + "0005" + "0001" + "0000003C" + "0002" + "C017";
        var answer = DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.Srv);
        Assert.NotNull(answer);
        Assert.Equal([new DnsService(0, 10, 8081, "a.test"), new DnsService(1, 300, 8082, "b.test")], answer.Value.Services);
        Assert.Equal([new DnsNamedAddress("a.test", IPAddress.Parse("127.0.0.11")), new DnsNamedAddress("b.test", IPAddress.Parse("2001:db8::2"))], answer.Value.Additional);
        Assert.Empty(answer.Value.Addresses);
    }

    [Theory]
    [InlineData("0000000A1F91" + "0161" + "C037")] // a target pointing at itself
    [InlineData("0000000A1F91" + "0161" + "C045")] // a target pointing forward
    [InlineData("0000000A1F91")] // no target
    public void SrvResponse_BadTarget_Null(string data)
    {
        var hex = Header(1) + QuestionSrv + "C00C" + "0021" + "0001" + "0000003C" + Hex16(data.Length / 2) + data;
        Assert.Null(DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.Srv));
    }

    [Fact]
    public void SrvResponse_PointerLoopThroughALabel_Null()
    {
        // The target's label at offset 55 is followed by a pointer back to it: the name never ends.
        var hex = Header(1) + QuestionSrv + "C00C" + "0021" + "0001" + "0000003C" + "000A" + "0000000A1F91" + "0161" + "C037";
        Assert.Null(DnsMessage.ReadResponse(Convert.FromHexString(hex), DnsRecordType.Srv));
    }
}
