/* test_office.c — Office and OFD packages read with libzip + libxml2: text, properties,
 * and refusals (damaged, encrypted, zip bombs, zips of other things, no LibreOffice).
 * Every package is built here with libzip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "ingest/detect.h"
#include "ingest/office.h"
#include "ingest/pages.h"

typedef struct entry {
    const char *name;
    const char *data;
    size_t len; /* 0: strlen(data) */
} entry;

/* Writes the entries into a zip file (deflated) and returns its bytes. */
static unsigned char *make_zip(const entry *entries, size_t n, size_t *len)
{
    char path[] = "/tmp/dangan-test-office-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    int zerr = 0;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    assert_non_null(za);
    for (size_t i = 0; i < n; i++) {
        size_t size = entries[i].len ? entries[i].len : strlen(entries[i].data);
        zip_source_t *src = zip_source_buffer(za, entries[i].data, size, 0);
        assert_non_null(src);
        assert_true(zip_file_add(za, entries[i].name, src, ZIP_FL_ENC_UTF_8) >= 0);
    }
    assert_int_equal(zip_close(za), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)size);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    unlink(path);
    *len = (size_t)size;
    return data;
}

static dg_status read_entries(const entry *entries, size_t n, const dg_office_options *opt,
                              dg_office_doc **doc, dg_error *err)
{
    size_t len;
    unsigned char *data = make_zip(entries, n, &len);
    dg_status st = dg_office_read(data, len, "doc", opt, doc, err);
    free(data);
    return st;
}

#define CT_HEAD                                                                                \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats"   \
    ".org/package/2006/content-types\">"
#define OOXML "application/vnd.openxmlformats-officedocument."
#define CORE_T "application/vnd.openxmlformats-package.core-properties+xml"
#define W_NS "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""
#define S_NS "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
#define A_NS "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\""

static const char DOCX_TYPES[] =
    CT_HEAD "<Override PartName=\"/word/document.xml\" ContentType=\"" OOXML
            "wordprocessingml.document.main+xml\"/><Override PartName=\"/docProps/core.xml\" "
            "ContentType=\"" CORE_T "\"/></Types>";

static const char DOCX_BODY[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document " W_NS "><w:body>"
    "<w:p><w:r><w:t>关于做好2024年寒假</w:t></w:r><w:r><w:t xml:space=\"preserve\">安全工作的通知"
    "</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>各年级：</w:t></w:r><w:r><w:tab/><w:t>请认真落实。</w:t></w:r></w:p>"
    "<w:p><w:del><w:r><w:delText>删去的话</w:delText></w:r></w:del></w:p>"
    "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>姓名</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:p><w:r><w:t>部门</w:t></w:r></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:p><w:r><w:t>王晓明</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:p><w:r><w:t>教务处</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    "<w:p><w:r><w:t>二〇二四年一月十日</w:t></w:r></w:p></w:body></w:document>";

static const char DOCX_CORE[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><cp:coreProperties "
    "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\">"
    "<dc:title>关于做好2024年寒假安全工作的通知</dc:title><dc:creator>校长办公室</dc:creator>"
    "<cp:keywords>寒假 安全</cp:keywords>"
    "<dcterms:created>2024-01-08T09:30:00Z</dcterms:created></cp:coreProperties>";

static const entry DOCX[] = {
    {"[Content_Types].xml", DOCX_TYPES, 0},
    {"word/document.xml", DOCX_BODY, 0},
    {"docProps/core.xml", DOCX_CORE, 0},
};

static void test_docx_text_tables_and_core_properties(void **state)
{
    (void)state;
    dg_office_doc *doc;
    dg_error err;
    assert_int_equal(read_entries(DOCX, 3, NULL, &doc, &err), DG_OK);
    assert_int_equal(doc->format, DG_OFFICE_DOCX);
    assert_string_equal(doc->mime, OOXML "wordprocessingml.document");
    assert_string_equal(doc->text, "关于做好2024年寒假安全工作的通知\n"
                                   "各年级：\t请认真落实。\n"
                                   "\n"
                                   "姓名\t部门\n"
                                   "王晓明\t教务处\n"
                                   "二〇二四年一月十日");
    assert_string_equal(doc->props.title, "关于做好2024年寒假安全工作的通知");
    assert_string_equal(doc->props.author, "校长办公室");
    assert_string_equal(doc->props.created, "2024-01-08");
    assert_string_equal(doc->props.keywords, "寒假 安全");
    dg_office_doc_free(doc);
}

static void test_xlsx_shared_inline_and_number_cells(void **state)
{
    (void)state;
    static const char types[] =
        CT_HEAD "<Override PartName=\"/xl/workbook.xml\" ContentType=\"" OOXML
                "spreadsheetml.sheet.main+xml\"/>"
                "<Override PartName=\"/xl/worksheets/sheet10.xml\" ContentType=\"" OOXML
                "spreadsheetml.worksheet+xml\"/>"
                "<Override PartName=\"/xl/worksheets/sheet2.xml\" ContentType=\"" OOXML
                "spreadsheetml.worksheet+xml\"/>"
                "<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"" OOXML
                "spreadsheetml.sharedStrings+xml\"/></Types>";
    static const char strings[] =
        "<sst " S_NS "><si><t>项目</t></si><si><r><t>学生</t></r><r><t>作业本</t></r>"
        "<rPh><t>がくせい</t></rPh></si><si><t>金额</t></si></sst>";
    static const char sheet2[] =
        "<worksheet " S_NS "><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c>"
        "<c r=\"B1\" t=\"s\"><v>2</v></c></row><row r=\"2\"><c r=\"A2\" t=\"s\"><v>1</v></c>"
        "<c r=\"B2\"><v>1280.5</v></c><c r=\"C2\"/></row></sheetData></worksheet>";
    static const char sheet10[] =
        "<worksheet " S_NS "><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>"
        "實驗室耗材</t></is></c><c r=\"B1\" t=\"b\"><v>1</v></c>"
        "<c r=\"C1\" t=\"s\"><v>99</v></c></row></sheetData></worksheet>";
    static const entry xlsx[] = {
        {"[Content_Types].xml", types, 0},       {"xl/workbook.xml", "<workbook/>", 0},
        {"xl/sharedStrings.xml", strings, 0},    {"xl/worksheets/sheet2.xml", sheet2, 0},
        {"xl/worksheets/sheet10.xml", sheet10, 0},
    };
    dg_office_doc *doc;
    dg_error err;
    assert_int_equal(read_entries(xlsx, 5, NULL, &doc, &err), DG_OK);
    assert_int_equal(doc->format, DG_OFFICE_XLSX);
    /* sheet2 before sheet10; phonetic runs and an index past the table are not text */
    assert_string_equal(doc->text, "项目\t金额\n学生作业本\t1280.5\n\n實驗室耗材\tTRUE");
    assert_string_equal(doc->props.title, "");
    dg_office_doc_free(doc);
}

static void test_pptx_slides_in_order(void **state)
{
    (void)state;
    static const char types[] =
        CT_HEAD "<Override PartName=\"/ppt/presentation.xml\" ContentType=\"" OOXML
                "presentationml.presentation.main+xml\"/>"
                "<Override PartName=\"/ppt/slides/slide10.xml\" ContentType=\"" OOXML
                "presentationml.slide+xml\"/>"
                "<Override PartName=\"/ppt/slides/slide9.xml\" ContentType=\"" OOXML
                "presentationml.slide+xml\"/></Types>";
    static const char slide9[] = "<p:sld xmlns:p=\"p\" " A_NS "><a:p><a:r><a:t>家长会</a:t>"
                                 "</a:r></a:p><a:p><a:r><a:t>议程</a:t></a:r></a:p></p:sld>";
    /* slide 10 is written in ISO Strict OOXML, whose namespaces differ */
    static const char slide10[] = "<p:sld xmlns:p=\"p\" xmlns:a=\"http://purl.oclc.org/ooxml/"
                                  "drawingml/main\"><a:p><a:r><a:t>谢谢</a:t></a:r></a:p>"
                                  "</p:sld>";
    static const entry pptx[] = {
        {"[Content_Types].xml", types, 0},
        {"ppt/presentation.xml", "<p/>", 0},
        {"ppt/slides/slide10.xml", slide10, 0},
        {"ppt/slides/slide9.xml", slide9, 0},
    };
    dg_office_doc *doc;
    dg_error err;
    assert_int_equal(read_entries(pptx, 4, NULL, &doc, &err), DG_OK);
    assert_int_equal(doc->format, DG_OFFICE_PPTX);
    assert_string_equal(doc->text, "家长会\n议程\n\n谢谢");
    dg_office_doc_free(doc);
}

#define ODF_CONTENT_HEAD                                                                       \
    "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" " \
    "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "                            \
    "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\">"
#define ODF_META                                                                               \
    "<office:document-meta xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "  \
    "xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" "                           \
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><office:meta>"                              \
    "<meta:initial-creator>教务处 李老师</meta:initial-creator><dc:creator>张三</dc:creator>"      \
    "<meta:creation-date>2023-09-01T10:00:00.12</meta:creation-date>"                          \
    "<dc:title>2023学年第一学期校历</dc:title><meta:keyword>校历</meta:keyword>"                 \
    "<meta:keyword>教学</meta:keyword></office:meta></office:document-meta>"

static void test_odt_text_and_meta(void **state)
{
    (void)state;
    static const char content[] =
        ODF_CONTENT_HEAD "<office:automatic-styles><text:p>not body</text:p>"
                         "</office:automatic-styles><office:body><office:text>"
                         "<text:h>校历</text:h><text:p>九月<text:s/>开学<text:tab/>报到"
                         "<text:line-break/>十月<text:span>国庆</text:span></text:p>"
                         "<text:tracked-changes><text:changed-region><text:deletion>"
                         "<text:p>已删除</text:p></text:deletion></text:changed-region>"
                         "</text:tracked-changes><text:p>完</text:p>"
                         "</office:text></office:body></office:document-content>";
    static const entry odt[] = {
        {"mimetype", "application/vnd.oasis.opendocument.text", 0},
        {"content.xml", content, 0},
        {"meta.xml", ODF_META, 0},
    };
    dg_office_doc *doc;
    dg_error err;
    assert_int_equal(read_entries(odt, 3, NULL, &doc, &err), DG_OK);
    assert_int_equal(doc->format, DG_OFFICE_ODT);
    assert_string_equal(doc->text, "校历\n九月 开学\t报到\n十月国庆\n完");
    assert_string_equal(doc->props.title, "2023学年第一学期校历");
    assert_string_equal(doc->props.author, "教务处 李老师");
    assert_string_equal(doc->props.created, "2023-09-01");
    assert_string_equal(doc->props.keywords, "校历, 教学");
    dg_office_doc_free(doc);
}

static void test_ods_cells_and_rows(void **state)
{
    (void)state;
    static const char content[] =
        ODF_CONTENT_HEAD "<office:body><office:spreadsheet><table:table table:name=\"收费\">"
                         "<table:table-row><table:table-cell><text:p>学费</text:p>"
                         "</table:table-cell><table:table-cell><text:p>2400</text:p>"
                         "</table:table-cell></table:table-row><table:table-row>"
                         "<table:table-cell/><table:table-cell><text:p>住宿费</text:p>"
                         "</table:table-cell></table:table-row></table:table>"
                         "</office:spreadsheet></office:body></office:document-content>";
    static const entry ods[] = {
        {"mimetype", "application/vnd.oasis.opendocument.spreadsheet", 0},
        {"content.xml", content, 0},
    };
    dg_office_doc *doc;
    dg_error err;
    assert_int_equal(read_entries(ods, 2, NULL, &doc, &err), DG_OK);
    assert_int_equal(doc->format, DG_OFFICE_ODS);
    assert_string_equal(doc->mime, "application/vnd.oasis.opendocument.spreadsheet");
    assert_string_equal(doc->text, "学费\t2400\n住宿费");
    dg_office_doc_free(doc);
}

#define OFD_NS "xmlns:ofd=\"http://www.ofdspec.org/2016\""

static const char OFD_ROOT[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:OFD " OFD_NS " Version=\"1.1\"><ofd:DocBody>"
    "<ofd:DocInfo><ofd:DocID>b7e3a0c1d2</ofd:DocID><ofd:Title>电子发票（普通发票）</ofd:Title>"
    "<ofd:Author>国家税务总局上海市税务局</ofd:Author><ofd:CreationDate>2024-03-12</ofd:CreationDate>"
    "<ofd:Keywords><ofd:Keyword>发票</ofd:Keyword><ofd:Keyword>复印纸</ofd:Keyword>"
    "</ofd:Keywords></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>"
    "</ofd:OFD>";
static const char OFD_DOCUMENT[] =
    "<ofd:Document " OFD_NS "><ofd:CommonData><ofd:TemplatePage ID=\"5\" "
    "BaseLoc=\"Tpls/Tpl_0/Content.xml\"/></ofd:CommonData><ofd:Pages><ofd:Page ID=\"1\" BaseLoc=\"Pages/Page_0/Content.xml\"/>"
    "<ofd:Page ID=\"2\" BaseLoc=\"/Doc_0/Pages/Page_1/Content.xml\"/></ofd:Pages>"
    "<ofd:CustomTags>CustomTags.xml</ofd:CustomTags>"
    "<ofd:Attachments>Attachs/Attachments.xml</ofd:Attachments></ofd:Document>";
static const char OFD_PAGE0[] =
    "<ofd:Page " OFD_NS "><ofd:Content><ofd:Layer>"
    "<ofd:TextObject ID=\"10\" Boundary=\"60 10 80 8\"><ofd:TextCode X=\"0\" Y=\"6\">電子"
    "</ofd:TextCode><ofd:TextCode X=\"10\" Y=\"6\">發票</ofd:TextCode></ofd:TextObject>"
    "<ofd:TextObject ID=\"11\" Boundary=\"10 30 30 5\"><ofd:TextCode X=\"0\" Y=\"4\">发票号码："
    "</ofd:TextCode></ofd:TextObject>"
    "<ofd:TextObject ID=\"12\" Boundary=\"45 30 60 5\"><ofd:TextCode X=\"0\" Y=\"4\">"
    "24312000000012345678</ofd:TextCode></ofd:TextObject>"
    "<ofd:TextObject ID=\"13\" Boundary=\"10 40 60 5\"><ofd:TextCode X=\"0\" Y=\"4\">购买方："
    "</ofd:TextCode><ofd:TextCode X=\"0\" Y=\"9\">某某中学</ofd:TextCode></ofd:TextObject>"
    "</ofd:Layer></ofd:Content></ofd:Page>";
static const char OFD_PAGE1[] = "<ofd:Page " OFD_NS "><ofd:Content><ofd:Layer><ofd:TextObject "
                                "ID=\"20\" Boundary=\"10 10 50 5\"><ofd:TextCode>第二页"
                                "</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content>"
                                "</ofd:Page>";
static const char OFD_TEMPLATE[] = "<ofd:Page " OFD_NS "><ofd:Content><ofd:Layer><ofd:TextObject "
                                   "ID=\"30\" Boundary=\"5 5 50 5\"><ofd:TextCode>密码区"
                                   "</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content>"
                                   "</ofd:Page>";
static const char OFD_TAG_LIST[] =
    "<ofd:CustomTags " OFD_NS "><ofd:CustomTag NameSpace=\"e-invoice\"><ofd:FileLoc>"
    "Tags/CustomTag.xml</ofd:FileLoc></ofd:CustomTag></ofd:CustomTags>";
static const char OFD_TAGS[] =
    "<fp:eInvoice xmlns:fp=\"http://www.edrm.org.cn/schema/e-invoice/2019\"><fp:InvoiceNo>"
    "<fp:ObjectRef PageRef=\"1\">12</fp:ObjectRef></fp:InvoiceNo><fp:Buyer><fp:BuyerName>"
    "<fp:ObjectRef PageRef=\"1\">13</fp:ObjectRef></fp:BuyerName></fp:Buyer>"
    "<fp:TaxInclusiveTotalAmount>1280.50</fp:TaxInclusiveTotalAmount></fp:eInvoice>";
static const char OFD_ATTACHMENTS[] =
    "<ofd:Attachments " OFD_NS "><ofd:Attachment ID=\"1\" Name=\"原始凭证.xml\" Format=\"xml\">"
    "<ofd:FileLoc>a.xml</ofd:FileLoc></ofd:Attachment></ofd:Attachments>";

static void test_ofd_einvoice_text_tags_and_docinfo(void **state)
{
    (void)state;
    static const entry ofd[] = {
        {"OFD.xml", OFD_ROOT, 0},
        {"Doc_0/Document.xml", OFD_DOCUMENT, 0},
        {"Doc_0/Pages/Page_0/Content.xml", OFD_PAGE0, 0},
        {"Doc_0/Pages/Page_1/Content.xml", OFD_PAGE1, 0},
        {"Doc_0/Tpls/Tpl_0/Content.xml", OFD_TEMPLATE, 0},
        {"Doc_0/CustomTags.xml", OFD_TAG_LIST, 0},
        {"Doc_0/Tags/CustomTag.xml", OFD_TAGS, 0},
        {"Doc_0/Attachs/Attachments.xml", OFD_ATTACHMENTS, 0},
    };
    dg_office_doc *doc;
    dg_error err;
    assert_int_equal(read_entries(ofd, 8, NULL, &doc, &err), DG_OK);
    assert_int_equal(doc->format, DG_OFFICE_OFD);
    assert_string_equal(doc->mime, "application/ofd");
    assert_string_equal(doc->text, "電子發票\n"
                                   "发票号码： 24312000000012345678\n"
                                   "购买方：\n"
                                   "某某中学\n"
                                   "\n"
                                   "第二页\n"
                                   "\n"
                                   "密码区\n"
                                   "\n"
                                   "InvoiceNo: 24312000000012345678\n"
                                   "BuyerName: 购买方： 某某中学\n"
                                   "TaxInclusiveTotalAmount: 1280.50\n"
                                   "附件: 原始凭证.xml");
    assert_string_equal(doc->props.title, "电子发票（普通发票）");
    assert_string_equal(doc->props.author, "国家税务总局上海市税务局");
    assert_string_equal(doc->props.created, "2024-03-12");
    assert_string_equal(doc->props.doc_id, "b7e3a0c1d2");
    assert_string_equal(doc->props.keywords, "发票, 复印纸");
    dg_office_doc_free(doc);
}

static void test_damaged_zip_is_refused_naming_the_file(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = make_zip(DOCX, 3, &len);
    dg_office_doc *doc = NULL;
    dg_error err;
    /* cut short: no central directory */
    assert_int_equal(dg_office_read(data, len / 2, "cut.docx", NULL, &doc, &err),
                     DG_ERR_BAD_INPUT);
    assert_null(doc);
    assert_non_null(strstr(err.msg, "cut.docx: damaged zip package"));
    /* a flipped byte inside the compressed body: the checksum or the inflater finds it */
    unsigned char *body = memmem(data, len, "word/document.xml", 17);
    assert_non_null(body);
    body[17 + 30 + 40] ^= 0x55;
    assert_int_equal(dg_office_read(data, len, "flip.docx", NULL, &doc, &err), DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "flip.docx: damaged"));
    free(data);
}

static void test_malformed_xml_names_its_part_and_line(void **state)
{
    (void)state;
    static const entry bad[] = {
        {"[Content_Types].xml", DOCX_TYPES, 0},
        {"word/document.xml", "<w:document " W_NS ">\n<w:body><w:p></w:body>", 0},
    };
    dg_office_doc *doc;
    dg_error err;
    assert_int_equal(read_entries(bad, 2, NULL, &doc, &err), DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "doc: damaged document: word/document.xml: line 2"));
}

static void test_entry_over_the_cap_is_refused_as_a_zip_bomb(void **state)
{
    (void)state;
    /* 2 MiB of one character deflates to a few KB: the cap is on what it inflates to. */
    size_t big = 2u << 20;
    char *body = malloc(big + 200);
    assert_non_null(body);
    int head = snprintf(body, 200, "<w:document " W_NS "><w:body><w:p><w:r><w:t>");
    memset(body + head, 'a', big);
    strcpy(body + head + big, "</w:t></w:r></w:p></w:body></w:document>");
    entry bomb[] = {
        {"[Content_Types].xml", DOCX_TYPES, 0},
        {"word/document.xml", body, 0},
    };
    dg_office_options opt;
    dg_office_options_init(&opt);
    opt.max_entry_bytes = 1u << 20;
    dg_office_doc *doc;
    dg_error err;
    assert_int_equal(read_entries(bomb, 2, &opt, &doc, &err), DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "word/document.xml inflates to"));
    assert_non_null(strstr(err.msg, "zip bomb"));

    /* Under the entry cap but over the package's total. */
    opt.max_entry_bytes = 4u << 20;
    opt.max_total_bytes = 1u << 20;
    assert_int_equal(read_entries(bomb, 2, &opt, &doc, &err), DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "the package inflates to more than 1048576 bytes"));

    /* Under both caps, over the text cap. */
    opt.max_total_bytes = 8u << 20;
    opt.max_text_bytes = 1000;
    assert_int_equal(read_entries(bomb, 2, &opt, &doc, &err), DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "text is over the limit of 1000 bytes"));

    dg_office_options_init(&opt);
    assert_int_equal(read_entries(bomb, 2, &opt, &doc, &err), DG_OK);
    assert_int_equal(doc->text_len, big);
    dg_office_doc_free(doc);
    free(body);
}

static void test_zip_of_other_files_is_not_an_office_document(void **state)
{
    (void)state;
    static const entry other[] = {{"readme.txt", "hello", 0}, {"data/a.csv", "a,b", 0}};
    dg_office_doc *doc;
    dg_error err;
    assert_int_equal(read_entries(other, 2, NULL, &doc, &err), DG_ERR_BAD_INPUT);
    assert_string_equal(err.msg,
                        "doc: not an Office or OFD document (a zip package of other files)");
    static const entry epub[] = {{"mimetype", "application/epub+zip", 0}};
    assert_int_equal(read_entries(epub, 1, NULL, &doc, &err), DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "not an Office or OFD document (OpenDocument type "
                                    "application/epub+zip)"));
}

static void test_encrypted_opendocument_is_refused(void **state)
{
    (void)state;
    static const entry enc[] = {
        {"mimetype", "application/vnd.oasis.opendocument.text", 0},
        {"META-INF/manifest.xml",
         "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\">"
         "<manifest:file-entry manifest:full-path=\"content.xml\"><manifest:encryption-data/>"
         "</manifest:file-entry></manifest:manifest>", 0},
        {"content.xml", "\x8a\x01\x02 not xml", 0},
    };
    dg_office_doc *doc;
    dg_error err;
    assert_int_equal(read_entries(enc, 3, NULL, &doc, &err), DG_ERR_BAD_INPUT);
    assert_string_equal(err.msg, "doc: encrypted document (needs a password)");
}

static void test_legacy_file_without_libreoffice_says_it_is_needed(void **state)
{
    (void)state;
    dg_office_options opt;
    dg_office_options_init(&opt);
    opt.soffice = "/nonexistent/dangan-test/soffice";
    char path[256];
    dg_error err;
    assert_int_equal(dg_office_find_soffice(&opt, path, sizeof path, &err), DG_ERR_NOT_FOUND);
    unsigned char *out = NULL;
    size_t out_len = 0;
    assert_int_equal(dg_office_convert(&opt, "x", 1, "old.doc", "doc", "pdf", &out, &out_len,
                                       &err),
                     DG_ERR_NOT_FOUND);
    assert_null(out);
    assert_non_null(strstr(err.msg, "old.doc: LibreOffice is needed to read a .doc file"));
    assert_non_null(strstr(err.msg, "/nonexistent/dangan-test/soffice"));
    opt.soffice = "";
    assert_int_equal(dg_office_find_soffice(&opt, path, sizeof path, &err), DG_ERR_NOT_FOUND);
    opt.soffice = "/bin/sh";
    assert_int_equal(dg_office_find_soffice(&opt, path, sizeof path, &err), DG_OK);
    assert_string_equal(path, "/bin/sh");
    opt.soffice = "sh"; /* a bare name is looked up on PATH */
    assert_int_equal(dg_office_find_soffice(&opt, path, sizeof path, &err), DG_OK);
    assert_non_null(strstr(path, "/sh"));
}

/* Writes an executable shell script standing in for soffice; returns its path. */
static void fake_soffice(char *path, size_t size, const char *body)
{
    snprintf(path, size, "/tmp/dangan-test-soffice-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    assert_int_equal(chmod(path, 0700), 0);
}

/* The converter hands soffice a private profile, the input under the given extension and
 * an output folder in a temporary folder, and reads the result back; the folder is gone
 * afterwards. */
static void test_conversion_runs_soffice_in_a_private_folder(void **state)
{
    (void)state;
    char script[64];
    /* Writes its arguments, one a line, to OUTDIR/input.pdf, as LibreOffice would write the PDF. */
    fake_soffice(script, sizeof script,
                 "out=; prev=; for a; do [ \"$prev\" = --outdir ] && out=$a; prev=$a; done\n"
                 "for a; do echo \"$a\"; done > \"$out/input.pdf\"");
    dg_office_options opt;
    dg_office_options_init(&opt);
    opt.soffice = script;
    unsigned char *out = NULL;
    size_t len = 0;
    dg_error err;
    assert_int_equal(dg_office_convert(&opt, "DOC", 3, "old.doc", "doc", "pdf", &out, &len, &err),
                     DG_OK);
    char *args = strndup((const char *)out, len);
    assert_non_null(strstr(args, "--headless\n"));
    assert_non_null(strstr(args, "--convert-to\npdf\n"));
    char *profile = strstr(args, "-env:UserInstallation=file:///");
    assert_non_null(profile);
    char *input = strstr(args, "/input.doc\n");
    assert_non_null(input);
    /* the temporary folder is removed */
    char *dir_end = strstr(profile, "/profile\n");
    assert_non_null(dir_end);
    *dir_end = '\0';
    assert_int_equal(access(profile + strlen("-env:UserInstallation=file://"), F_OK), -1);
    free(args);
    free(out);

    /* A converter that writes nothing: the file could not be converted. */
    unlink(script);
    fake_soffice(script, sizeof script, "exit 1");
    assert_int_equal(dg_office_convert(&opt, "DOC", 3, "old.doc", "doc", "pdf", &out, &len, &err),
                     DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "old.doc: LibreOffice could not convert it to pdf"));
    unlink(script);
}

/* A conversion that hangs is killed at the time limit, the script and what it started. */
static void test_conversion_that_hangs_is_stopped(void **state)
{
    (void)state;
    char script[64], mark[] = "/tmp/dangan-test-hang-XXXXXX";
    int fd = mkstemp(mark);
    assert_true(fd >= 0);
    close(fd);
    char body[256];
    /* the child of the script touches the mark when it survives its 3 seconds */
    snprintf(body, sizeof body, "(sleep 3; rm -f %s) &\nsleep 60", mark);
    fake_soffice(script, sizeof script, body);
    dg_office_options opt;
    dg_office_options_init(&opt);
    opt.soffice = script;
    opt.timeout_seconds = 1;
    unsigned char *out = NULL;
    size_t len = 0;
    dg_error err;
    assert_int_equal(dg_office_convert(&opt, "DOC", 3, "slow.doc", "doc", "pdf", &out, &len, &err),
                     DG_ERR_BAD_INPUT);
    assert_string_equal(err.msg, "slow.doc: LibreOffice did not convert it within 1 seconds");
    /* the whole process group was killed: the background child never removes the mark */
    sleep(3);
    assert_int_equal(access(mark, F_OK), 0);
    unlink(mark);
    unlink(script);
}

/* Through pages.h: page 1 is the file itself, with the document's text and properties. */
static void test_office_document_page_one_is_the_original(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = make_zip(DOCX, 3, &len);
    dg_detector *detector;
    dg_error err;
    assert_int_equal(dg_detector_open(&detector, &err), DG_OK);
    dg_page_limits limits;
    dg_page_limits_init(&limits);
    limits.office.soffice = ""; /* no rendering: the test must not depend on LibreOffice */
    dg_document *doc;
    assert_int_equal(dg_document_open_memory(detector, data, len, "n.docx", &limits, &doc, &err),
                     DG_OK);
    assert_int_equal(dg_document_type(doc), DG_FILE_OFFICE);
    assert_int_equal(dg_document_page_count(doc), 1);
    assert_string_equal(dg_document_props(doc)->title, "关于做好2024年寒假安全工作的通知");
    dg_page *page;
    assert_int_equal(dg_document_read_page(doc, 0, &page, &err), DG_OK);
    assert_int_equal(page->kind, DG_PAGE_DOCUMENT);
    assert_null(page->pix);
    assert_int_equal(page->image_len, len);
    assert_memory_equal(page->image, data, len);
    assert_string_equal(page->image_mime, OOXML "wordprocessingml.document");
    assert_non_null(strstr(page->text, "王晓明\t教务处"));
    dg_page_free(page);
    dg_document_close(doc);

    /* A zip of other things is still an unknown type, with the reason. */
    static const entry other[] = {{"a.txt", "x", 0}};
    free(data);
    data = make_zip(other, 1, &len);
    assert_int_equal(dg_document_open_memory(detector, data, len, "a.zip", &limits, &doc, &err),
                     DG_ERR_BAD_INPUT);
    assert_non_null(strstr(err.msg, "a.zip: not an Office or OFD document"));
    free(data);
    dg_detector_close(detector);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docx_text_tables_and_core_properties),
        cmocka_unit_test(test_xlsx_shared_inline_and_number_cells),
        cmocka_unit_test(test_pptx_slides_in_order),
        cmocka_unit_test(test_odt_text_and_meta),
        cmocka_unit_test(test_ods_cells_and_rows),
        cmocka_unit_test(test_ofd_einvoice_text_tags_and_docinfo),
        cmocka_unit_test(test_damaged_zip_is_refused_naming_the_file),
        cmocka_unit_test(test_malformed_xml_names_its_part_and_line),
        cmocka_unit_test(test_entry_over_the_cap_is_refused_as_a_zip_bomb),
        cmocka_unit_test(test_zip_of_other_files_is_not_an_office_document),
        cmocka_unit_test(test_encrypted_opendocument_is_refused),
        cmocka_unit_test(test_legacy_file_without_libreoffice_says_it_is_needed),
        cmocka_unit_test(test_conversion_runs_soffice_in_a_private_folder),
        cmocka_unit_test(test_conversion_that_hangs_is_stopped),
        cmocka_unit_test(test_office_document_page_one_is_the_original),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
