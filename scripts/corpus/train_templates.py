"""Training templates. The first line of each template is the title."""

POOLS = {
    "school": ["江城市第一中学", "明德实验学校", "滨江区青禾小学", "南山职业技术学院", "城东第二中学", "育才外国语学校"],
    "name": ["王建国", "李晓梅", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽华", "周敏", "吴强"],
    "name2": ["孙立新", "马春燕", "朱海涛", "胡明", "郭婷婷", "何志强"],
    "item": ["台式计算机", "多媒体投影仪", "实验室通风柜", "办公桌椅", "空调", "复印机", "钢琴", "电子白板"],
    "subject": ["语文", "数学", "英语", "物理", "化学", "信息技术", "体育"],
    "n": ["3", "5", "8", "12", "20", "26", "45"],
    "amount": ["1,280.00", "3,560.50", "12,800.00", "46,000.00", "860.00", "258,000.00", "7,450.00"],
    "md": ["3月20日", "4月15日", "6月30日", "9月10日", "11月5日", "12月25日"],
    "name_en": ["John Miller", "Sarah Chen", "David Wong", "Emily Clark", "Michael Lee", "Anna Brown"],
    "item_en": ["laptops", "projectors", "science lab benches", "office chairs", "air conditioners", "photocopiers"],
    "amount_en": ["1,250.00", "3,480.00", "12,900.00", "48,600.00", "920.00"],
}

TEMPLATES = {
    # ---------------------------------------------------------------- administrative
    "regulation": {
        "cn": [
            "{school}{公文管理办法|档案管理办法|会议管理制度|印章使用管理规定}\n第一条 为{规范|加强}学校{公文处理|档案管理|会议组织|印章使用}工作，提高管理水平，根据有关规定，结合本校实际，制定本办法。\n第二条 本办法适用于学校各部门、各年级组。\n第三条 {校长办公室|办公室}负责{统筹管理|日常管理}，各部门指定专人负责。\n第四条 违反本办法的，视情节予以批评教育。\n第五条 本办法自印发之日起施行，由{校长办公室|办公室}负责解释。",
            "{教职工考勤管理规定|校园安全管理制度|学校财务审批制度实施细则}\n为进一步{完善|健全}学校内部管理制度，经校长办公会研究，现将有关规定印发如下：\n一、各部门须严格执行本规定，{落实责任|明确分工}。\n二、{因公外出须履行审批手续|安全隐患须及时上报|经费支出须按程序审批}。\n三、本规定自{yr}年9月1日起执行，原有规定同时废止。",
        ],
        "en": [
            "{Records Management Policy|Staff Code of Conduct|Regulations on the Use of School Facilities}\nArticle 1. These regulations are made to standardise the {management of school records|conduct of staff|use of school facilities}.\nArticle 2. They apply to all departments and all staff members.\nArticle 3. The Principal's Office is responsible for interpretation and supervision.\nArticle 4. These regulations take effect from the date of issue and replace all previous rules.",
        ],
    },
    "minutes": {
        "cn": [
            "{yr}年第{n}次校长办公会会议纪要\n时间：{md}下午\n地点：行政楼会议室\n主持：{name}\n出席：校领导班子成员\n列席：各处室负责人\n记录：{name2}\n会议研究了以下事项：\n一、{听取了教务处关于期中考试安排的汇报|讨论了新学期教学工作安排|研究了校园安全检查工作}，会议同意{相关安排|实施方案}。\n二、{讨论了下一年度部门预算编制，会议原则同意财务处提出的预算方案，要求压缩一般性支出|研究了食堂承包合同续签事宜，原则同意续签|审议了固定资产报废清单}。\n三、会议要求各部门抓好落实。",
            "行政会议记录\n会议时间：{md}\n参会人员：{name}、{name2}及各部门负责人\n会议议题：{研究学期工作计划|讨论教师培训安排|商议校庆筹备工作|研究经费使用情况}\n会议决定：{由办公室牵头落实|各部门于两周内提交方案|由分管副校长负责督办}。\n会议纪要经主持人审定后印发。",
        ],
        "en": [
            "Minutes of the {Senior Leadership Team|School Council|Staff} Meeting\nPresent: {name_en}, {name_en} and heads of department\nApologies: {name_en}\n1. The minutes of the previous meeting were approved.\n2. {The draft budget for next year was discussed; the finance office will revise the figures.|The timetable for the new term was agreed.|Preparations for the open day were reviewed.}\n3. Any other business: none.\nThe meeting closed at 5:30 pm.",
        ],
    },
    "notice": {
        "cn": [
            "关于{yr}年{寒假|暑假|国庆节|清明节|劳动节}放假安排的通知\n各部门、各年级组：\n根据上级有关规定，结合我校实际，现将{放假|假期}安排通知如下：\n一、{md}起放假，开学时间另行通知。\n二、各部门做好假期值班和安全工作，值班表于放假前报校长办公室。\n三、放假期间如遇突发事件，及时报告。\n特此通知。",
            "关于{召开|举行}{全体教职工大会|期末工作会议|中层干部会议}的通知\n各处室：\n学校定于{md}下午3:00在{学术报告厅|行政楼三楼会议室}召开{全体教职工大会|期末工作会议|中层干部会议}，请{全体教职工|各部门负责人}准时参加，不得无故缺席。\n特此通知。",
            "关于调整{作息时间|办公地点|校园门禁管理}的通知\n全校师生：\n因{季节变化|校园改造工程|工作需要}，自{md}起{调整作息时间|部分部门搬迁至新办公楼|实行新的门禁管理办法}，具体安排见附件。请各部门相互转告。",
        ],
        "en": [
            "Notice: {School Closure for the Spring Festival|Change of Office Hours|Staff Meeting on Friday}\nAll staff are informed that {the school will be closed from 20 January|office hours will change from next Monday|a general staff meeting will be held in the main hall}. Please make the necessary arrangements and inform your teams.",
        ],
    },
    "report": {
        "cn": [
            "{school}{yr}年度工作报告\n一年来，在上级教育行政部门的正确领导下，学校{坚持立德树人根本任务|围绕年度目标}，各项工作取得新进展。\n一、教育教学质量稳步提升，{中考|高考}成绩再创新高。\n二、{教师队伍建设|校园文化建设|安全管理}不断加强。\n三、存在的不足：{办学条件仍需改善|教研水平有待提高}。\n下一步，学校将继续努力，推动各项工作再上新台阶。",
            "关于{申请增加教学用房|申请维修教学楼屋顶|申请增设学生食堂窗口}的请示\n区教育局：\n我校现有{学生|班级}规模不断扩大，{教学用房紧张|屋顶漏水严重|就餐拥挤}，为保障正常教学秩序，特申请{增加教学用房|安排维修资金|增设窗口}。\n妥否，请批示。",
            "{教务处|德育处|办公室}{上半年|第一季度|年度}工作汇报\n现将本部门{上半年|第一季度|本年度}工作情况汇报如下：一是完成了{课程安排|学籍管理|文件收发}工作；二是{组织了教研活动|加强了制度建设}；三是存在的问题和下一步打算。",
        ],
        "en": [
            "Annual Work Report of the {Academic Affairs Office|Principal's Office|Student Affairs Office}\nThis report summarises the work of the office during the past year. Key achievements include {improved examination results|a new records system|better communication with parents}. Challenges remain in {staffing|facilities}. Next year the office will focus on quality and efficiency.",
        ],
    },
    "plan": {
        "cn": [
            "{school}{yr}年工作计划\n指导思想：以{全面提高教育质量|办人民满意的教育}为目标，{深化教学改革|加强内部管理}。\n主要任务：一、{加强教学常规管理|推进课程改革}；二、{抓好队伍建设|完善管理制度}；三、{确保校园安全|推进信息化建设}。\n保障措施：{明确责任分工，加强督查落实|定期检查，年终考评}。",
            "{办公室|教务处|总务处}{yr}学年第{一|二}学期工作要点\n本学期主要工作安排如下：\n{md}前完成{开学准备|学期工作布置}；期中开展{教学检查|安全检查}；学期末做好{总结评比|资料归档}工作。\n各项工作落实到人，按月推进。",
        ],
        "en": [
            "{School Development Plan|Work Plan of the Principal's Office} for the {2023-2024|2024-2025} School Year\nObjectives: raise teaching quality, improve administration, and strengthen safety.\nMain tasks: 1. revise the timetable; 2. update school policies; 3. improve communication.\nMilestones are reviewed each month by the leadership team.",
        ],
    },
    # ---------------------------------------------------------------- personnel
    "hiring": {
        "cn": [
            "{school}{yr}年公开招聘教师公告\n根据工作需要，经上级主管部门批准，我校面向社会公开招聘{subject}教师{n}名。\n一、招聘条件：具有{本科|硕士研究生}及以上学历，持有相应教师资格证。\n二、报名时间：{md}前，报名材料交人事处。\n三、招聘程序：资格审查、笔试、面试、考察、体检、公示、聘用。",
            "关于拟录用{name}等{n}名同志的公示\n经笔试、面试、考察和体检，拟录用{name}、{name2}等同志为我校{subject}教师，试用期一年。公示期内如有异议，请向人事处反映。",
            "新进教职工入职登记表\n姓名：{name}  性别：{男|女}  学历：{本科|硕士}\n岗位：{subject}教师  入职日期：{md}\n聘用合同期限：三年，试用期三个月。\n人事处审核意见：同意聘用。",
        ],
        "en": [
            "Offer of Employment\nDear {name_en},\nWe are pleased to offer you the position of {Mathematics|English|Science} Teacher at our school. Your appointment starts on 1 September, with a probation period of six months. Please sign and return a copy of this letter to the Human Resources Office to confirm your acceptance.",
            "Recruitment Announcement: {Teaching Assistant|School Nurse|Laboratory Technician}\nThe school is recruiting a full-time {teaching assistant|nurse|lab technician}. Applicants should hold a relevant degree. Applications with a CV should reach the Human Resources Office before the closing date. Shortlisted candidates will be invited to interview.",
        ],
    },
    "departure": {
        "cn": [
            "辞职申请书\n尊敬的学校领导：\n本人{name}，{subject}教师，因{家庭原因|个人发展|身体原因}，申请辞去现任职务，于{md}离职。在校期间得到领导和同事的关心，深表感谢。离职前将做好工作交接。\n申请人：{name}",
            "关于{name}同志工作调动的通知\n各部门：\n经上级教育局批准，{name}同志调往{城西中学|区教育局|实验小学}工作，自{md}起办理调出手续。请人事处做好档案转递和工资关系转移工作。",
            "{name}同志退休审批表\n出生年月：1964年{n}月  参加工作时间：1985年8月\n岗位：{subject}教师  退休类别：正常退休\n人事处意见：符合退休条件，同意办理退休手续。",
        ],
        "en": [
            "Letter of Resignation\nDear Principal,\nI, {name_en}, hereby resign from my position as {English|History} teacher, effective at the end of this term. I will complete a full handover of my classes before leaving. Thank you for the support during my years at the school.",
            "Staff Transfer Notice\n{name_en} will transfer from our school to the District Education Bureau with effect from next month. The Human Resources Office will forward the personnel file and complete the transfer procedures.",
        ],
    },
    "training": {
        "cn": [
            "关于组织{新教师岗前培训|班主任专题培训|信息技术能力提升培训}的通知\n各部门：\n为提高教师{专业素质|业务能力}，学校定于{md}组织{新教师岗前培训|班主任专题培训|信息技术能力提升培训}，培训内容包括{师德师风|课堂管理|教育信息化应用}等，请参训教师按时报到，培训结束后进行考核并计入继续教育学时。",
            "{yr}年教师{暑期研修|继续教育|校本培训}登记表\n姓名：{name}  学科：{subject}\n培训项目：{省级骨干教师研修班|国培计划|校本研修}\n学时：{n}学时\n培训单位意见：合格。",
        ],
        "en": [
            "Professional Development Workshop: {Classroom Management|Digital Teaching Tools|Safeguarding}\nAll teaching staff are required to attend a training workshop in the library. The session covers {behaviour strategies|online learning platforms|child protection procedures}. Attendance will be recorded for the continuing education requirement.",
        ],
    },
    "appraisal": {
        "cn": [
            "{yr}年度教职工考核结果{公示|汇总表}\n根据年度考核办法，经个人述职、民主测评、考核小组评定，{name}、{name2}等{n}名同志考核等次为优秀，其余同志为合格。公示期五个工作日。",
            "教师绩效考核表\n姓名：{name}  岗位：{subject}教师\n师德表现：优  教学工作量：{n}课时/周  教学效果：良好\n考核等次：{优秀|合格|良好}\n考核小组签字：{name2}",
        ],
        "en": [
            "Annual Performance Appraisal\nStaff member: {name_en}   Reviewer: {name_en}\nObjectives for the year were {fully|mostly} met. Strengths: lesson planning and pupil progress. Areas for development: assessment feedback. Overall rating: {Good|Outstanding|Satisfactory}.",
        ],
    },
    "leave": {
        "cn": [
            "教职工请假审批单\n请假人：{name}  部门：{教务处|语文组|数学组}\n请假类别：{病假|事假|婚假|产假}\n请假时间：{md}至{md}，共{n}天\n事由：{身体不适需住院治疗|家中有事|结婚|生育}\n部门负责人意见：同意，课务已安排代课。",
            "销假报告\n本人{name}因{病|事}请假{n}天，现已返校上班，特此销假。",
        ],
        "en": [
            "Leave Application Form\nName: {name_en}\nType of leave: {Sick leave|Annual leave|Maternity leave|Compassionate leave}\nPeriod: {n} working days\nReason: {medical treatment|family matters|childbirth}\nCover arranged: yes. Approved by the head of department.",
        ],
    },
    # ---------------------------------------------------------------- finance
    "budget": {
        "cn": [
            "{school}{yr}年度部门预算{编制说明|草案}\n一、收入预算：财政拨款{amount}万元，事业收入{n}万元。\n二、支出预算：基本支出{amount}万元，项目支出{n}万元，主要用于{教学设备更新|校舍维修|信息化建设}。\n三、预算编制遵循量入为出、收支平衡的原则。",
            "{yr}年度财务决算报告\n本年度收入合计{amount}元，支出合计{amount}元，年末结余{n}万元。决算数据已经审计，各项支出符合预算安排。",
        ],
        "en": [
            "Draft Budget for the {2024|2025} Financial Year\nIncome: government grant {amount_en}; other income {amount_en}.\nExpenditure: staff costs, teaching materials, maintenance. The budget is balanced and will be submitted to the governing board for approval.",
            "Final Accounts for the Year\nTotal income and total expenditure are reported below, with the year-end balance carried forward. The final accounts were audited and approved by the board.",
        ],
    },
    "voucher": {
        "cn": [
            "差旅费报销单\n报销人：{name}  部门：{教务处|总务处|语文组}\n出差事由：{参加省级教研会议|赴外校交流|参加培训}\n交通费{amount}元，住宿费{amount}元，合计{amount}元\n附发票{n}张\n审核：{name2}  批准：{name}",
            "记账凭证\n凭证号：{n}\n摘要：{购买办公用品|支付水电费|报销会议费}\n借方：{办公费|水电费|会议费} {amount}\n贷方：银行存款 {amount}\n附单据{n}张  会计：{name2}  出纳：{name}",
            "费用报销审批单\n经办人：{name}\n用途：{购买教学耗材|印刷试卷|学生活动用品}\n金额：人民币{amount}元\n附发票及清单，请予报销。",
        ],
        "en": [
            "Expense Claim Form\nClaimant: {name_en}\nPurpose: {conference travel|classroom supplies|staff training materials}\nAmount claimed: {amount_en}\nReceipts attached: {n}\nApproved for reimbursement by the Finance Office.",
            "Payment Voucher No. {n}\nPayee: {name_en}\nDescription: reimbursement of {travel expenses|printing costs}\nAmount: {amount_en}\nAccount charged: general expenses. Signed by the bursar.",
        ],
    },
    "contract": {
        "cn": [
            "{食堂餐饮服务|校园物业管理|教学设备维护}合同\n甲方：{school}\n乙方：{华信物业服务有限公司|鑫源餐饮管理公司|博远科技有限公司}\n经双方协商一致，订立本合同。\n第一条 服务内容：{学生食堂餐饮服务|校园保洁与安保|设备维护保养}。\n第二条 合同金额：人民币{amount}元。\n第三条 合同期限：一年。\n第四条 违约责任：任何一方违约，应赔偿对方损失。",
            "{租赁|技术服务|印刷服务}协议书\n甲乙双方本着平等自愿的原则，就{场地租赁|网络运维服务|试卷印刷}事宜达成如下协议：费用{amount}元，按季度支付；协议期满自动终止。本协议一式两份，双方签字盖章后生效。",
        ],
        "en": [
            "Service Contract\nThis contract is made between the School (hereinafter Party A) and {BrightClean Ltd|Sunrise Catering Co.|TechCare Services} (hereinafter Party B). Party B shall provide {cleaning|catering|IT maintenance} services for twelve months. The contract sum is {amount_en}, payable quarterly. Either party in breach shall compensate the other.",
        ],
    },
    "fee": {
        "cn": [
            "关于{yr}年秋季学期收费标准的公示\n根据物价部门核定，本学期{住宿费|学费|课本费}标准为每生每学期{amount}元，{代收费|服务性收费}按实际支出收取，多退少补。严禁乱收费，举报电话设在财务处。",
            "学生缴费{收据|登记表}\n学生姓名：{name}  班级：高{一|二|三}（{n}）班\n缴费项目：{学费|住宿费|校服费}\n金额：{amount}元  收款人：{name2}",
            "退费审批表\n学生{name}因{转学|休学}申请退还{住宿费|学费}{amount}元，经财务处核实，同意退费。",
        ],
        "en": [
            "Schedule of Tuition and Fees\nTuition for the {autumn|spring} term is {amount_en} per student. Boarding fees and textbook fees are charged separately. Fees are payable to the Finance Office before the start of term; refunds follow the school's refund policy.",
        ],
    },
    "financial_report": {
        "cn": [
            "{yr}年{n}月财务收支月报\n本月收入{amount}元，支出{amount}元，其中人员经费、公用经费分别列示。资产负债表及收入支出表附后。",
            "{school}{yr}年度财务报告\n一、财务收支情况：全年总收入{amount}万元，总支出{amount}万元。\n二、资产负债情况：年末资产总额{amount}万元。\n三、财务管理情况：严格执行财务制度，会计核算规范。",
        ],
        "en": [
            "Financial Statements for the Quarter\nThe balance sheet and the statement of income and expenditure are attached. Total income was {amount_en} and total expenditure {amount_en}. Cash at bank is reconciled to the bank statement.",
        ],
    },
    # ---------------------------------------------------------------- asset
    "purchase": {
        "cn": [
            "{item}采购申请表\n申请部门：{教务处|信息中心|实验室}\n采购物品：{item}{n}台\n预算金额：{amount}元\n采购方式：{询价采购|公开招标|政府采购}\n申请理由：现有设备老化，无法满足教学需要。",
            "{item}验收单\n供货单位：{华科电子有限公司|力天教学设备公司}\n合同编号：ZC-{n}\n验收情况：数量{n}台，型号规格与合同一致，运行正常，验收合格。\n验收人：{name}、{name2}",
            "关于{多媒体教室设备|实验室仪器|图书}采购项目中标结果的公告\n经公开招标，{力天教学设备公司|华科电子有限公司}中标，中标金额{amount}元。",
        ],
        "en": [
            "Purchase Request\nDepartment: {Science|ICT|Music}\nItems: {n} {item_en}\nEstimated cost: {amount_en}\nThree quotations were obtained; the lowest compliant quotation is recommended. Goods received will be checked against the order on delivery (acceptance).",
        ],
    },
    "transfer": {
        "cn": [
            "固定资产调拨单\n调出部门：{教务处|实验室|信息中心}  调入部门：{总务处|图书馆|初二年级组}\n资产名称：{item}  数量：{n}\n资产编号：ZC{n}0{n}\n调拨原因：{工作需要|部门调整}\n经办人：{name}  资产管理员：{name2}",
            "资产移交清单\n因{人员调整|部门合并}，{name}将所保管的{item}{n}台移交给{name2}，双方已当面清点无误。",
        ],
        "en": [
            "Asset Transfer Form\nFrom: {Science Department|ICT Suite}  To: {Library|Art Department}\nAsset: {item_en}, quantity {n}\nAsset tags recorded. Reason: reallocation of equipment between departments. Handover signed by both custodians.",
        ],
    },
    "disposal": {
        "cn": [
            "固定资产报废申请表\n资产名称：{item}  数量：{n}\n购置年份：2012年  原值：{amount}元\n报废原因：{使用年限已满，无维修价值|损坏严重|技术淘汰}\n经鉴定，同意报废，残值回收后上缴。",
            "关于{一批老旧计算机|部分课桌椅|废旧实验设备}报废处置的请示\n经资产清查，下列资产已达到报废条件，拟按规定进行处置，处置收入上缴财政。",
        ],
        "en": [
            "Asset Disposal Request\nThe following items are beyond economic repair and are proposed for write-off and disposal: {n} {item_en}. Original cost {amount_en}. Scrap value will be credited to the school account.",
        ],
    },
    "stocktaking": {
        "cn": [
            "{yr}年度固定资产盘点报告\n按照资产管理要求，学校于{md}对全部固定资产进行了清查盘点。账面资产{n}00件，实盘{n}00件，盘亏{n}件，盘盈{n}件，差异原因已查明。",
            "资产清查盘点表\n部门：{实验室|图书馆|办公室}\n资产名称：{item}  账面数量：{n}  实存数量：{n}\n账实相符情况：{相符|不符，已说明原因}\n盘点人：{name}",
        ],
        "en": [
            "Annual Stocktaking Report\nA physical count of all fixed assets was carried out at the end of the year. The asset register lists {n}00 items; {n} items were missing and {n} found unrecorded. Differences have been investigated and the register updated.",
        ],
    },
    # ---------------------------------------------------------------- activity
    "event_plan": {
        "cn": [
            "{school}{校园文化艺术节|科技节|读书月|运动会}活动方案\n一、活动主题：{青春飞扬 梦想起航|科技点亮未来|书香满校园}\n二、活动时间：{md}\n三、活动内容：{文艺汇演、书画展览|科技制作、机器人展示|读书分享、征文}。\n四、组织分工：团委负责组织，各班主任配合。\n五、安全保障：制定应急预案。",
            "关于开展{学雷锋志愿服务|研学旅行|春季远足}活动的安排\n为丰富学生课余生活，学校计划组织{学雷锋志愿服务|研学旅行|春季远足}活动，具体安排：{md}出发，各年级分批进行，带队教师负责安全。",
        ],
        "en": [
            "Event Plan: {Science Week|Sports Day|Book Fair}\nAim: to engage pupils in {hands-on science|physical activity|reading}. Programme: opening assembly, class activities, and a closing show. Staff responsibilities and risk assessment are attached.",
        ],
    },
    "summary": {
        "cn": [
            "{school}{校园文化艺术节|科技节|运动会|读书月}活动总结\n本次活动于{md}圆满结束。活动期间，全校师生积极参与，共开展{n}项活动，参与学生{n}00余人次。活动展示了学生风采，取得了良好效果。不足之处是组织时间偏紧，今后将改进。",
            "{志愿服务|社会实践|研学旅行}活动小结\n本次{志愿服务|社会实践|研学旅行}活动历时{n}天，学生收获很大，家长反映良好。现将活动情况总结如下。",
        ],
        "en": [
            "Event Summary: {Science Week|Charity Day|Sports Day}\nThe event was held successfully with over {n}00 pupils taking part. Highlights included {the robotics showcase|a sponsored run|the relay races}. Feedback from parents was positive; lessons learnt are noted for next year.",
        ],
    },
    "ceremony": {
        "cn": [
            "{yr}届{开学典礼|毕业典礼|入学仪式}{议程|主持词}\n一、全体起立，奏唱国歌。\n二、校长致辞。\n三、{教师代表|学生代表}发言。\n四、颁发{毕业证书|奖学金}。\n五、{典礼|仪式}结束。",
            "{升旗仪式|成人礼仪式|表彰大会}安排\n时间：{md}上午\n地点：学校操场\n流程：出旗、升国旗、国旗下讲话、宣誓、颁奖。请各班提前十分钟列队。",
        ],
        "en": [
            "{Graduation Ceremony|Opening Ceremony|Awards Ceremony} Programme\n1. Welcome by the Principal\n2. National anthem\n3. Presentation of {diplomas|awards}\n4. Address by the student representative\nGuests are asked to be seated by 9:30 am.",
        ],
    },
    "competition": {
        "cn": [
            "关于举办{yr}年{校园歌手大赛|数学竞赛|英语演讲比赛|篮球联赛}的通知\n各班级：\n为丰富校园生活，学校决定举办{校园歌手大赛|数学竞赛|英语演讲比赛|篮球联赛}。\n一、参赛对象：全体学生。\n二、比赛时间：{md}。\n三、奖项设置：一等奖{n}名，二等奖若干。\n请各班于{md}前报名。",
            "{书法比赛|征文比赛|科技创新大赛}获奖名单\n一等奖：{name}、{name2}\n二等奖：{name2}\n优秀指导教师：{name}\n评委会",
        ],
        "en": [
            "{Spelling Bee|Maths Olympiad|Inter-School Football Tournament}: Results\nFirst prize: {name_en}. Runners-up: {name_en} and {name_en}. The judges praised the high standard of all entries. Certificates will be presented at assembly.",
        ],
    },
    "photo": {
        "cn": [
            "照片档案说明\n照片题名：{运动会开幕式|毕业生合影|科技节展览|校领导检查工作}\n拍摄时间：{md}\n拍摄地点：{学校操场|报告厅|图书馆}\n摄影者：{name}\n照片内容：{全体师生合影留念|学生表演节目|展品陈列}。",
            "{活动照片|合影}登记\n第{n}张：{颁奖现场|师生合影|活动场景}，摄影：{name2}，底片号{n}。",
        ],
        "en": [
            "Photograph Record\nCaption: {Sports Day opening parade|Class of 2024 group photo|Science fair exhibits}\nPhotographer: {name_en}\nLocation: {school field|main hall}\nDigital file stored on the archive server; {n} photos in this set.",
        ],
    },
}

# What kind of wrapper each type gets: "doc" (official document with header, number,
# signature and date) or "form" (a form or slip with a labelled date).
KIND = {
    "regulation": "doc", "minutes": "form", "notice": "doc", "report": "doc", "plan": "doc",
    "hiring": "doc", "departure": "form", "training": "doc", "appraisal": "form", "leave": "form",
    "budget": "doc", "voucher": "form", "contract": "form", "fee": "doc", "financial_report": "doc",
    "purchase": "form", "transfer": "form", "disposal": "form", "stocktaking": "doc",
    "event_plan": "doc", "summary": "doc", "ceremony": "form", "competition": "doc", "photo": "form",
}

# More English training records: a second and third wording per type, using the words that
# every school document shares (pupils, teachers, staff, term) in every category, so the
# model learns that they say nothing about the category.
EXTRA_EN = {
    "regulation": [
        "School Rules on {Attendance|Homework|Uniform}\n1. All pupils must {arrive by 8:00 am|hand in homework on time|wear the correct uniform}.\n2. Teachers record breaches in the register.\n3. Repeated breaches are referred to the head of year.\nThese rules were adopted by the governing body and apply from the start of term.",
        "Procedure for {Handling Complaints|Staff Absence Reporting|Lettings of School Premises}\nThis procedure explains the steps staff and parents must follow. Step one: contact the school office. Step two: the matter is logged and passed to the responsible manager. This procedure is mandatory and is reviewed annually.",
    ],
    "minutes": [
        "Record of the {Parents' Association|Curriculum Committee|Health and Safety Committee} Meeting\nChair: {name_en}. Also attending: {name_en}, teachers' representatives.\nMatters arising: the action points from the last meeting were reviewed.\nDiscussion: {spending on the new playground|pupil attendance figures|the fire risk assessment} was discussed at length; it was agreed to report back next term.\nDate of next meeting to be confirmed.",
    ],
    "notice": [
        "Announcement to Parents and Staff\nPlease note that the school will close early on Friday at 12:30 for {staff development|the national holiday|polling day}. Buses will run at the earlier time. Thank you for your understanding.",
        "Reminder: {Term Dates|Exam Timetable|Parents' Evening}\nThis is a reminder that {the new term begins on Monday|the exam timetable is now on the noticeboard|parents' evening takes place next Thursday}. Teachers and pupils should check the details and plan accordingly.",
    ],
    "report": [
        "Termly Report of the {Head Teacher|Deputy Head|School Office}\nPupil numbers: stable. Attendance: slightly improved on last term. Staffing: one teacher on long-term absence, covered by supply staff. Progress against priorities is summarised in the table below, with risks and next steps for the governors to note.",
        "Report to the Education Bureau on {School Safety|Class Sizes|After-School Provision}\nAs requested, the school submits this report describing current arrangements, the results of a self-inspection and the measures taken to address the problems found.",
    ],
    "plan": [
        "Annual Action Plan of the {School Office|Academic Office}\nGoals for the coming year, actions with named leads, timelines by term, resources needed, and how success will be measured. Progress will be monitored at each leadership meeting.",
    ],
    "hiring": [
        "Appointment Confirmation\nFollowing interview, {name_en} has been appointed as {Head of Science|Class Teacher|Office Administrator} on a permanent contract. Start date: the beginning of next term. References and background checks have been completed. Induction will be arranged by the Human Resources Office.",
    ],
    "departure": [
        "Exit Checklist for Leaving Staff\nName: {name_en}\nLast working day: end of term\nKeys returned: yes. Laptop returned: yes. Handover notes given to the head of department. Final salary and pension documents processed by HR.",
    ],
    "training": [
        "In-Service Training Day Programme\nSession 1: {assessment for learning|behaviour management|online safety}. Session 2: department planning. All teachers and support staff attend. Sign-in sheets are kept as evidence of professional learning hours.",
    ],
    "appraisal": [
        "Probation Review\nEmployee: {name_en}. The review considered teaching quality, relationships with pupils and colleagues, and punctuality. Outcome: probation {successfully completed|extended by three months}. Objectives for the next review period were agreed.",
        "Lesson Observation and Performance Feedback\nObserver: {name_en}. Strengths: clear explanations, good pace. Development point: questioning. Grade: {good|requires improvement}. This observation forms part of the annual performance review.",
    ],
    "leave": [
        "Absence Notification\n{name_en} is absent today due to {illness|a hospital appointment|bereavement} and expects to return on Monday. A medical certificate will follow. Please arrange cover for lessons.",
    ],
    "budget": [
        "Departmental Budget Allocation\nThe governors approved the following allocations for next year: {Science|Mathematics|Sports} {amount_en}, library {amount_en}, maintenance {amount_en}. Heads of department must keep spending within their allocation; variances are reported each term.",
    ],
    "voucher": [
        "Petty Cash Claim\nItems: {stationery|refreshments for the open day|postage}. Total: {amount_en}. Receipts attached. Claimed by {name_en}, checked by the bursar and paid from petty cash.",
    ],
    "contract": [
        "Memorandum of Agreement\nBetween the school and {City Sports Centre|GreenLeaf Gardens|NetLink Ltd} for the provision of {swimming lessons|grounds maintenance|broadband}. Term: two years. Price: {amount_en} per year. Signed by both parties; terms and conditions attached.",
    ],
    "fee": [
        "Notice of Charges for School Trips and Meals\nThe cost of school meals is {amount_en} per term and the residential trip costs {amount_en}. Payments are made online; families on low incomes may be eligible for free meals and remission of charges.",
    ],
    "financial_report": [
        "Monthly Management Accounts\nThis statement compares actual income and expenditure with the budget to date. Cash position is healthy. Variances over five per cent are explained in the notes. Prepared by the bursar for the finance committee.",
    ],
    "purchase": [
        "Purchase Order and Delivery Check\nOrder for {n} {item_en} placed with the supplier after comparison of quotes. On delivery the goods were checked against the order and the delivery note, tested, and signed for as accepted.",
    ],
    "transfer": [
        "Internal Transfer of Equipment\n{n} {item_en} moved from {Room 101|the old library|the science block} to {the new computer suite|the sports hall|Room 204}. The asset register location field and the custodian name have been changed accordingly.",
    ],
    "disposal": [
        "Write-off of Obsolete Equipment\n{n} {item_en}, purchased over ten years ago, are broken and cannot be repaired. They are to be disposed of through an approved recycling company and deleted from the asset register. Any sale proceeds go to school funds.",
    ],
    "stocktaking": [
        "Year-end Asset Verification\nEach department checked its equipment against the asset register: tags, serial numbers and locations. {n} items could not be found and {n} were found but not registered. The register was reconciled.",
    ],
    "event_plan": [
        "Arrangements for the {School Concert|Charity Bake Sale|Field Trip to the Museum}\nAims, date and venue, a timetable for the day, staff on duty, transport, and a risk assessment. Pupils need signed consent forms. Rehearsals start two weeks before.",
    ],
    "summary": [
        "Review of the {School Concert|Open Day|Summer Fair}\nThe event attracted a large audience of families. Pupils performed confidently and the feedback was very positive. Money raised: {amount_en}. What went well and what to improve next time are listed below.",
    ],
    "ceremony": [
        "Award Assembly Running Order\nEntrance of the graduates, speeches by the Principal and a guest of honour, presentation of certificates and prizes, and closing remarks. Families are warmly invited to the ceremony.",
    ],
    "competition": [
        "Entry Rules for the {Science Fair|Art Competition|Debating Contest}\nOpen to all pupils. Entries are judged on originality and quality. Prizes for first, second and third place. The winners go forward to the regional final.",
    ],
    "photo": [
        "Image Catalogue\nPhoto no. {n}: {pupils at the sports day finish line|the new library opening|the choir on stage}. Taken by {name_en}. Digital images are stored in the photo archive with captions.",
    ],
}
for _t, _extra in EXTRA_EN.items():
    TEMPLATES[_t]["en"] = TEMPLATES[_t]["en"] + _extra
